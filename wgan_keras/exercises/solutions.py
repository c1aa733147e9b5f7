"""Reference solutions of the exercises, what a notebook fills in with ``solutions=True``.

Written the way a student would write them from the papers, with
``keras.ops`` and numpy, not by calling the library's own functions: the
checks compare them with the library. Each passes every case of its
``wk.exercises.check_<name>``, on both backends.
"""

import math

import keras
import numpy as np
from keras import ops

from wgan_keras.autodiff import input_gradient, value_and_gradients

# ----------------------------------------------------------------- 01 distances


def parallel_lines_distances(theta):
    """EM, JS, KL and TV between ``P0 = (0, Z)`` and ``P_theta = (theta, Z)`` (WGAN Example 1).

    For ``theta != 0`` the supports are disjoint: ``JS = log 2`` (nats),
    ``KL = inf``, ``TV = 1``; moving each point ``(0, z)`` to ``(theta, z)``
    is an optimal plan, so ``W = |theta|``. At ``theta = 0`` all are 0.
    """
    apart = theta != 0
    return {
        "EM": abs(theta),
        "JS": math.log(2.0) if apart else 0.0,
        "KL": math.inf if apart else 0.0,
        "TV": 1.0 if apart else 0.0,
    }


def _kl(p, q):
    """``sum p log(p / q)`` over the outcomes where ``p > 0`` (``0 log 0 = 0``)."""
    mask = p > 0
    return float(np.sum(p[mask] * np.log(p[mask] / q[mask])))


def js(p, q):
    """``JS(P, Q) = KL(P || M) / 2 + KL(Q || M) / 2``, ``M = (P + Q) / 2``, in nats (WGAN Section 2)."""
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    m = (p + q) / 2
    return 0.5 * _kl(p, m) + 0.5 * _kl(q, m)


def optimal_discriminator(p_data, p_g):
    """``D*(x) = p_data(x) / (p_data(x) + p_g(x))`` (Goodfellow et al. 2014, Proposition 1)."""
    p_data, p_g = np.asarray(p_data, np.float64), np.asarray(p_g, np.float64)
    return p_data / (p_data + p_g)


def gan_value(p_data, p_g):
    """``C(G) = sum p_data log D* + sum p_g log(1 - D*)`` on discrete masses (Goodfellow et al., Theorem 1)."""
    p_data, p_g = np.asarray(p_data, np.float64), np.asarray(p_g, np.float64)
    total = p_data + p_g
    real, fake = p_data > 0, p_g > 0  # 0 log 0 = 0: outcomes without mass add nothing
    return float(
        np.sum(p_data[real] * np.log(p_data[real] / total[real])) + np.sum(p_g[fake] * np.log(p_g[fake] / total[fake]))
    )


# ---------------------------------------------------------------------- 02 wgan


def critic_loss(real_values, fake_values):
    """``E f(G(z)) - E f(x)``: the critic maximises ``E f(x) - E f(G(z))`` (WGAN Algorithm 1, line 5)."""
    return ops.mean(fake_values) - ops.mean(real_values)


def generator_loss(fake_values):
    """``-E f(G(z))`` (WGAN Algorithm 1, line 10)."""
    return -ops.mean(fake_values)


def clip(variables, clip_value):
    """``w <- clip(w, -c, c)`` for every variable given, in place (WGAN Algorithm 1, line 7)."""
    for variable in variables:
        variable.assign(ops.clip(variable, -clip_value, clip_value))


def critic_update(critic, optimizer, real, fake, clip_value):
    """One critic iteration of WGAN Algorithm 1, lines 5-7; returns the loss before the step.

    Line 5: the gradient of ``E f(fake) - E f(real)`` w.r.t. the critic's
    weights; line 6: one step of the optimizer (RMSProp); line 7: every
    trainable critic variable clipped to ``[-c, c]``, after the step.
    """
    variables = critic.trainable_variables
    loss, gradients = value_and_gradients(
        lambda: critic_loss(critic(real, training=True), critic(fake, training=True)), variables
    )
    optimizer.apply_gradients(zip(gradients, variables))
    clip(variables, clip_value)
    return loss


# ------------------------------------------------------------------- 03 wgan_gp


def interpolate(real, fake, eps):
    """``x^ = eps x + (1 - eps) x~`` with one weight per sample (WGAN-GP Algorithm 1, line 6)."""
    real = ops.convert_to_tensor(real)
    eps = ops.reshape(ops.cast(eps, real.dtype), (-1,) + (1,) * (len(real.shape) - 1))
    return eps * real + (1.0 - eps) * fake


def _gradient_norms(critic, real, fake):
    real = ops.convert_to_tensor(real, "float32")
    fake = ops.convert_to_tensor(fake, "float32")
    eps = keras.random.uniform((ops.shape(real)[0],))  # eps ~ U[0, 1], one per sample (line 4)
    x_hat = interpolate(real, fake, eps)
    gradients = input_gradient(lambda x: critic(x, training=True), x_hat)
    axes = list(range(1, len(gradients.shape)))  # every axis but the batch's: vectors and images
    # epsilon inside the square root: sqrt has no derivative at 0 (a flat critic)
    return ops.sqrt(ops.sum(ops.square(gradients), axis=axes) + 1e-12)


def penalty(critic, real, fake):
    """``E[(||grad D(x^)||_2 - 1)^2]`` (WGAN-GP Algorithm 1, lines 4-7, without lambda)."""
    return ops.mean(ops.square(_gradient_norms(critic, real, fake) - 1.0))


def one_sided_penalty(critic, real, fake):
    """``E[max(0, ||grad D(x^)||_2 - 1)^2]``: only norms above 1 cost (WGAN-GP Section 4)."""
    return ops.mean(ops.square(ops.relu(_gradient_norms(critic, real, fake) - 1.0)))


# --------------------------------------------------------------- 04 experiments


def median_filter(values, window=101):
    """Running median over ``window`` points, windows cut at the ends (WGAN Figures 3-4)."""
    values = np.asarray(values, np.float64)
    half = window // 2
    return np.array([np.median(values[max(0, i - half) : i + half + 1]) for i in range(len(values))])


def wasserstein_1d(x, y):
    """``W1 = mean |x_(i) - y_(i)|``: in 1-D the optimal plan pairs the sorted samples (WGAN eq. 1)."""
    return float(np.mean(np.abs(np.sort(np.ravel(x)) - np.sort(np.ravel(y)))))


# ----------------------------------------------------- 05 stability and modes


def modes_captured(samples, centers, std):
    """``(modes, high_quality)``: VEEGAN / PacGAN's mode count and high-quality fraction (3 std)."""
    samples, centers = np.asarray(samples, np.float64), np.asarray(centers, np.float64)
    distances = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1)
    nearest = distances.argmin(axis=1)
    good = distances[np.arange(len(samples)), nearest] <= 3 * std
    return len(np.unique(nearest[good])), float(good.mean())


def reverse_kl(counts):
    """``KL(p || u) = sum_k p_k log(p_k K)`` of the mode histogram (``0 log 0 = 0``)."""
    counts = np.asarray(counts, np.float64)
    shares = counts / counts.sum()
    shares = shares[shares > 0]
    return float(np.sum(shares * np.log(shares * len(counts))))
