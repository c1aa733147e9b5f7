"""Losses and penalties against fixed vectors and closed forms."""

import math

import keras
import numpy as np
import pytest
from keras import ops

from wgan_keras import losses
from wgan_keras.autodiff import value_and_gradients

# TF-GAN's reference vectors (tensorflow/gan, losses_impl_test.py).
D_REAL = np.array([-5.0, 1.4, 12.5, 2.7], dtype="float32")
D_GEN = np.array([10.0, 4.4, -5.5, 3.6], dtype="float32")


def test_tfgan_reference_values():
    assert float(losses.wasserstein_generator_loss(D_GEN)) == pytest.approx(-3.125, abs=1e-6)
    assert float(losses.wasserstein_critic_loss(D_REAL, D_GEN)) == pytest.approx(0.225, abs=1e-6)
    assert float(losses.wasserstein_estimate(D_REAL, D_GEN)) == pytest.approx(-0.225, abs=1e-6)
    # TF-GAN's non-saturating generator loss on the same vector.
    assert float(losses.gan_generator_loss(D_GEN, "non_saturating")) == pytest.approx(1.38582, abs=1e-5)


def double_sum(x, training=None):
    return 2.0 * ops.sum(x, axis=1, keepdims=True)


def test_penalty_reference_values():
    real = np.array([[0.1, 0.2, 0.3, 0.4]], "float32")
    fake = np.array([[1.0, -1.0, 0.5, 2.0]], "float32")
    # grad = 2 in each of 4 coordinates: norm 4, penalty (4 - 1)^2 = 9.
    assert float(losses.gradient_penalty(double_sum, real, fake, seed=1)) == pytest.approx(9.0, rel=1e-6)
    # With target 2 the penalty is (4/2 - 1)^2 = 1.
    assert float(losses.gradient_penalty(double_sum, real, fake, seed=1, target=2.0)) == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize("shape", [(3,), (4, 4, 2)])
def test_linear_critic_penalty_closed_form(shape):
    rng = np.random.default_rng(0)
    a = rng.normal(size=shape).astype("float32")

    def linear(x, training=None):
        return ops.sum(x * ops.convert_to_tensor(a), axis=tuple(range(1, len(x.shape))))[:, None]

    real = rng.normal(size=(8,) + shape).astype("float32")
    fake = rng.normal(size=(8,) + shape).astype("float32")
    penalty, norms = losses.gradient_penalty(linear, real, fake, seed=3, return_norms=True)
    norm_a = float(np.linalg.norm(a))
    np.testing.assert_allclose(ops.convert_to_numpy(norms), norm_a, rtol=1e-5)
    assert float(penalty) == pytest.approx((norm_a - 1.0) ** 2, rel=1e-5)


def test_one_sided_penalty_ignores_small_norms():
    grads = np.array([[0.3, 0.4], [3.0, 4.0]], "float32")  # norms 0.5 and 5
    two_sided, _ = losses.penalty_from_gradients(grads)
    one_sided, _ = losses.penalty_from_gradients(grads, one_sided=True)
    assert float(two_sided) == pytest.approx((0.25 + 16.0) / 2, rel=1e-5)
    assert float(one_sided) == pytest.approx(16.0 / 2, rel=1e-5)


def test_penalty_gradient_is_finite_at_zero_gradient():
    """A flat critic has zero input gradient; sqrt'(0) would give NaN without epsilon."""
    kernel = keras.Variable(np.zeros((2, 1), "float32"))

    def flat(x, training=None):
        return ops.matmul(x, kernel)

    real, fake = np.ones((4, 2), "float32"), np.zeros((4, 2), "float32")
    penalty, (grad,) = value_and_gradients(lambda: losses.gradient_penalty(flat, real, fake, seed=0), [kernel])
    assert float(penalty) == pytest.approx(1.0, rel=1e-5)
    assert np.all(np.isfinite(ops.convert_to_numpy(grad)))


def test_penalty_weight_gradient_matches_the_closed_form():
    """Second order: for f(x) = <a, x>, d/da (||a|| - 1)^2 = 2 (||a|| - 1) a / ||a||."""
    a = np.array([[3.0], [4.0]], "float32")
    kernel = keras.Variable(a)
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(16, 2)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
    penalty, (grad,) = value_and_gradients(
        lambda: losses.gradient_penalty(lambda x, training=None: ops.matmul(x, kernel), real, fake, seed=2), [kernel]
    )
    assert float(penalty) == pytest.approx(16.0, rel=1e-5)
    np.testing.assert_allclose(ops.convert_to_numpy(grad), 2 * (5.0 - 1.0) * a / 5.0, rtol=1e-5)


def test_interpolation_weights_are_uniform_per_sample():
    real, fake = np.ones((2000, 3, 3, 1), "float32"), np.zeros((2000, 3, 3, 1), "float32")
    eps = keras.random.uniform((2000,), seed=7)
    x_hat = ops.convert_to_numpy(losses.interpolate(real, fake, eps))
    per_sample = x_hat.reshape(2000, -1)
    # One weight per sample, shared by all its coordinates...
    np.testing.assert_allclose(per_sample.min(axis=1), per_sample.max(axis=1))
    # ...distributed U[0, 1]: mean 1/2, variance 1/12, inside [0, 1].
    w = per_sample[:, 0]
    assert w.min() >= 0.0 and w.max() <= 1.0
    assert abs(w.mean() - 0.5) < 0.03 and abs(w.var() - 1 / 12) < 0.01


def test_gan_losses_from_logits():
    real = np.array([2.0, -1.0], dtype="float32")
    fake = np.array([0.5, -3.0], dtype="float32")
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    want_d = -np.mean(np.log(sig(real))) - np.mean(np.log(1 - sig(fake)))
    assert float(losses.gan_discriminator_loss(real, fake)) == pytest.approx(want_d, rel=1e-5)
    ns = -np.mean(np.log(sig(fake)))
    mm = np.mean(np.log(1 - sig(fake)))
    assert float(losses.gan_generator_loss(fake, "non_saturating")) == pytest.approx(ns, rel=1e-5)
    assert float(losses.gan_generator_loss(fake, "minimax")) == pytest.approx(mm, rel=1e-5)
    with pytest.raises(ValueError, match="non_saturating"):
        losses.gan_generator_loss(fake, "wasserstein")


def test_js_estimate_at_the_optimal_discriminator():
    """At D* = p/(p+q), L_D = log 4 - 2 JSD, so the estimate returns the JSD."""
    p = np.array([0.7, 0.2, 0.1])
    q = np.array([0.1, 0.3, 0.6])
    d_star = p / (p + q)
    loss = -np.sum(p * np.log(d_star)) - np.sum(q * np.log(1 - d_star))
    m = (p + q) / 2
    jsd = 0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m))
    assert losses.js_estimate(loss) == pytest.approx(jsd, rel=1e-9)
    assert losses.js_estimate(math.log(4.0) - 2 * math.log(2.0)) == pytest.approx(math.log(2.0))
