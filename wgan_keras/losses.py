"""Losses and penalties of GAN, WGAN and WGAN-GP as pure functions.

Every function takes critic (or discriminator) outputs and returns a scalar
tensor, so it can be tested against fixed vectors (TF-GAN's reference values)
and reused by the model classes, which only orchestrate them.

Sign conventions: all losses are *minimised*.

* WGAN (Arjovsky et al. 2017, Algorithm 1): the critic maximises
  ``E[f(x)] - E[f(G(z))]`` (line 5), so its loss is ``E[f(G(z))] - E[f(x)]``;
  the generator maximises ``E[f(G(z))]`` (line 10), so its loss is
  ``-E[f(G(z))]``.
* WGAN-GP (Gulrajani et al. 2017, Algorithm 1 line 7):
  ``L = D(x~) - D(x) + lambda * (||grad_{x^} D(x^)||_2 - 1)^2``.
* GAN (Goodfellow et al. 2014): the discriminator works on logits; its loss
  is the sum of the real and fake sigmoid cross-entropies.
"""

import math

from keras import ops
from keras import random as keras_random

from wgan_keras.autodiff import input_gradient

GENERATOR_LOSSES = ("non_saturating", "minimax")


def wasserstein_critic_loss(real_values, fake_values):
    """Critic loss ``E[f(G(z))] - E[f(x)]`` (WGAN Algorithm 1, line 5, negated).

    Its negation is the critic's estimate of the Wasserstein-1 distance
    (up to the Lipschitz constant), the quantity plotted in WGAN Figure 3.
    """
    return ops.mean(fake_values) - ops.mean(real_values)


def wasserstein_generator_loss(fake_values):
    """Generator loss ``-E[f(G(z))]`` (WGAN Algorithm 1, line 10)."""
    return -ops.mean(fake_values)


def wasserstein_estimate(real_values, fake_values):
    """``E[f(x)] - E[f(G(z))]``: the critic's Wasserstein estimate (WGAN eq. 3)."""
    return ops.mean(real_values) - ops.mean(fake_values)


def interpolate(real, fake, eps):
    """``x^ = eps * x + (1 - eps) * x~`` (WGAN-GP Algorithm 1, line 6).

    Args:
        real, fake: tensors of the same shape ``(batch, ...)``.
        eps: per-sample weights of shape ``(batch,)`` or broadcastable to
            ``real``; they are reshaped to ``(batch, 1, ..., 1)``.
    """
    eps = ops.reshape(eps, (-1,) + (1,) * (len(real.shape) - 1))
    eps = ops.cast(eps, real.dtype)
    return eps * real + (1.0 - eps) * fake


def gradient_norms(gradients, epsilon=1e-12):
    """Per-sample L2 norm over all non-batch axes.

    ``epsilon`` sits inside the square root: the derivative of ``sqrt`` is
    infinite at 0, so without it a zero gradient (a dead ReLU critic, an
    input where the critic is flat) gives a NaN penalty gradient.
    """
    # float32 even under mixed precision: in float16 the epsilon underflows
    # to 0 and squares of coordinates above ~256 overflow.
    gradients = ops.cast(gradients, "float32")
    axes = list(range(1, len(gradients.shape)))
    squared = ops.sum(ops.square(gradients), axis=axes) if axes else ops.square(gradients)
    return ops.sqrt(squared + epsilon)


def penalty_from_gradients(gradients, target=1.0, one_sided=False, epsilon=1e-12):
    """``E[(||g|| / target - 1)^2]`` (WGAN-GP eq. 3 without lambda).

    Args:
        gradients: ``grad_{x^} D(x^)``, shape ``(batch, ...)``.
        target: the Lipschitz constant the critic is pushed towards; the paper
            uses 1. With ``target=t`` the penalty is ``(||g||/t - 1)^2``
            (TF-GAN's ``target`` convention).
        one_sided: penalise only norms above ``target``
            (``max(0, ||g||/t - 1)^2``), the variant discussed in WGAN-GP
            Section 4 ("one-sided penalty").
        epsilon: inside the square root of the norm, see ``gradient_norms``.

    Returns:
        ``(penalty, norms)``: the scalar mean penalty and the per-sample norms.
    """
    norms = gradient_norms(gradients, epsilon)
    excess = norms / target - 1.0
    if one_sided:
        excess = ops.relu(excess)
    return ops.mean(ops.square(excess)), norms


def gradient_penalty(
    critic,
    real,
    fake,
    eps=None,
    seed=None,
    target=1.0,
    one_sided=False,
    epsilon=1e-12,
    return_norms=False,
    training=True,
):
    """WGAN-GP gradient penalty ``E[(||grad_{x^} D(x^)||_2 - 1)^2]``.

    Implements WGAN-GP Algorithm 1, lines 4-7 (without the weight lambda):
    ``eps ~ U[0, 1]`` per sample, ``x^ = eps x + (1 - eps) x~``, and the
    penalty on the norm of the critic's input gradient at ``x^``, taken over
    all non-batch axes so it is right for vectors and for images.

    Args:
        critic: a callable (usually a ``keras.Model``) mapping a batch to
            values of shape ``(batch, 1)`` or ``(batch,)``.
        real, fake: batches of the same shape.
        eps: optional per-sample interpolation weights ``(batch,)``; drawn from
            ``U[0, 1]`` with ``seed`` when omitted.
        seed: an int, a ``keras.random.SeedGenerator`` or ``None``.
        target, one_sided, epsilon: see ``penalty_from_gradients``.
        return_norms: also return the per-sample gradient norms.
        training: passed to the critic.

    Returns:
        The scalar penalty, or ``(penalty, norms)`` with ``return_norms``.
    """
    real = ops.convert_to_tensor(real)
    fake = ops.cast(ops.convert_to_tensor(fake), real.dtype)
    if tuple(real.shape[1:]) != tuple(fake.shape[1:]):
        raise ValueError(
            f"gradient_penalty: `real` and `fake` must have the same sample shape; "
            f"got {tuple(real.shape)} and {tuple(fake.shape)}."
        )
    if eps is None:
        eps = keras_random.uniform((ops.shape(real)[0],), seed=seed)
    x_hat = interpolate(real, fake, eps)
    gradients = input_gradient(lambda x: critic(x, training=training), x_hat)
    penalty, norms = penalty_from_gradients(gradients, target, one_sided, epsilon)
    return (penalty, norms) if return_norms else penalty


def gan_discriminator_loss(real_logits, fake_logits):
    """``-E[log D(x)] - E[log(1 - D(G(z)))]`` from logits (GAN eq. 1, negated).

    The sum (not the mean) of the two cross-entropies, so that at the
    optimal discriminator it equals ``log 4 - 2 JSD(P_r || P_g)``
    (Goodfellow et al. 2014, Theorem 1; WGAN Figure 4 plots this).
    """
    real_term = ops.mean(ops.softplus(-real_logits))  # -log sigmoid(l)
    fake_term = ops.mean(ops.softplus(fake_logits))  # -log(1 - sigmoid(l))
    return real_term + fake_term


def gan_generator_loss(fake_logits, loss="non_saturating"):
    """Generator loss of the standard GAN, from the discriminator's logits.

    * ``"minimax"``: minimise ``E[log(1 - D(G(z)))]`` (GAN eq. 1). Its
      gradient vanishes when the discriminator is confident (WGAN Section 3,
      Figure 2; Arjovsky & Bottou 2017, Theorem 2.4).
    * ``"non_saturating"``: minimise ``-E[log D(G(z))]`` (the "-log D trick"
      of Goodfellow et al. 2014, Section 3).
    """
    if loss == "non_saturating":
        return ops.mean(ops.softplus(-fake_logits))
    if loss == "minimax":
        return -ops.mean(ops.softplus(fake_logits))
    raise ValueError(f"loss must be one of {GENERATOR_LOSSES}; got {loss!r}.")


def js_estimate(discriminator_loss):
    """``log 2 - L_D / 2``: the discriminator's Jensen-Shannon estimate.

    With ``L_D`` from ``gan_discriminator_loss`` at the optimal
    discriminator, ``L_D = log 4 - 2 JSD``, so this equals the JSD
    (WGAN Figure 4 shows it stays near ``log 2`` during training).
    """
    return math.log(2.0) - discriminator_loss / 2.0
