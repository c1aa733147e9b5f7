"""Critics with known gradients, for checking a student's gradient penalty.

Each is a plain callable ``critic(x, training=...)`` returning ``(batch, 1)``
values, like a ``keras.Model``, and works inside ``wk.autodiff.input_gradient``
on both backends:

* :class:`LinearCritic`: ``f(x) = <A, x> + b`` over all non-batch axes, so
  ``grad f = A`` at every point and the penalty is ``(||A|| - 1)^2``
  whatever the interpolation weights (WGAN-GP Algorithm 1, line 7); its
  gradient w.r.t. ``A`` is ``2 (||A|| - 1) A / ||A||``, w.r.t. ``b`` zero.
* :class:`QuadraticCritic`: ``f(x) = sum_j a_j x_j^2 / 2`` (``a = 1``:
  ``||x||^2 / 2``), so ``grad f(x^) = a x^``: the penalty and its gradient
  w.r.t. ``a`` depend on where the weights put ``x^``.
* :class:`RecordingCritic`: any critic, remembering each batch it is
  evaluated at (inside a JAX trace through ``jax.debug.callback``).
* :func:`flat_critic`: a ``keras.Model`` ``f(x) = <w, x>`` with ``w = 0``:
  its input gradient is 0, where ``sqrt`` has no derivative.

The weights ``A``, ``b`` and ``a`` are ``keras.Variable`` objects listed in
``trainable_variables``, so a check differentiates the student's penalty
w.r.t. them as the training step does.
"""

import keras
import numpy as np
from keras import ops

from wgan_keras.arrays import to_numpy


def _sum_over_samples(values):
    axes = list(range(1, len(values.shape)))
    return ops.reshape(ops.sum(values, axis=axes), (-1, 1)) if axes else ops.reshape(values, (-1, 1))


class LinearCritic:
    """``f(x) = <A, x> + b``: the gradient is ``A`` everywhere."""

    def __init__(self, weights, bias=0.0):
        self.weights = np.asarray(weights, dtype="float32")
        self.kernel = keras.Variable(self.weights, name="kernel")
        self.bias = keras.Variable(np.float32(bias), name="bias")
        self.trainable_variables = [self.kernel, self.bias]

    @property
    def gradient_norm(self):
        return float(np.linalg.norm(self.weights.astype(np.float64)))

    def __call__(self, x, training=None, **kwargs):
        x = ops.convert_to_tensor(x)
        return _sum_over_samples(x * ops.cast(self.kernel, x.dtype)) + ops.cast(self.bias, x.dtype)


class QuadraticCritic:
    """``f(x) = sum_j a_j x_j^2 / 2`` (``a = 1`` unless given): the gradient at ``x`` is ``a x``."""

    def __init__(self, scales=None, shape=None):
        scales = np.ones(shape or (), "float32") if scales is None else np.asarray(scales, "float32")
        self.scales = keras.Variable(scales, name="scales")
        self.trainable_variables = [self.scales]

    def __call__(self, x, training=None, **kwargs):
        x = ops.convert_to_tensor(x)
        return _sum_over_samples(0.5 * ops.cast(self.scales, x.dtype) * ops.square(x))


class RecordingCritic:
    """Wraps a critic and keeps a numpy copy of every batch it is evaluated at.

    Call :meth:`batches` after the student's function returned: on JAX the
    copies arrive through ordered ``jax.debug.callback``s, which
    ``jax.effects_barrier()`` waits for.
    """

    def __init__(self, inner):
        self.inner = inner
        self.seen = []
        self.trainable_variables = list(getattr(inner, "trainable_variables", []))

    def clear(self):
        """Forget the batches seen so far (waiting, on JAX, for callbacks still under way)."""
        self.batches()
        self.seen.clear()

    def __call__(self, x, training=None, **kwargs):
        x = ops.convert_to_tensor(x)
        if keras.backend.backend() == "jax":
            import jax

            jax.debug.callback(lambda value: self.seen.append(np.asarray(value, np.float64)), x, ordered=True)
        else:
            self.seen.append(np.asarray(to_numpy(x), np.float64))
        return self.inner(x, training=training)

    def batches(self):
        if keras.backend.backend() == "jax":
            import jax

            jax.effects_barrier()
        return list(self.seen)


def flat_critic(input_shape):
    """A ``keras.Model`` ``f(x) = <w, flatten(x)>`` with ``w = 0``: flat, with weights to differentiate."""
    inputs = keras.Input(input_shape)
    flat = keras.layers.Flatten()(inputs)
    values = keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros", name="flat_value")(flat)
    return keras.Model(inputs, values, name="flat_critic")


def linear_weights(shape, norm, seed):
    """Random weights of the given shape scaled to Frobenius norm ``norm``, uneven across every axis."""
    weights = np.random.default_rng(seed).standard_normal(shape)
    weights *= np.linspace(0.2, 1.8, weights.size).reshape(shape)  # no axis has equal slices by chance
    return weights * (norm / np.linalg.norm(weights))


def segment_weights(points, real, fake):
    """For each row of ``points``: the weight ``t`` of ``t real + (1 - t) fake`` nearest it, and the distance.

    The least-squares ``t`` of each sample over all its coordinates; a point
    on the segment has distance 0 (WGAN-GP Algorithm 1, line 6).
    """
    n = len(real)
    points, real, fake = (np.asarray(a, np.float64).reshape(n, -1) for a in (points, real, fake))
    direction = real - fake
    t = np.sum((points - fake) * direction, axis=1) / np.sum(direction * direction, axis=1)
    residual = np.linalg.norm(points - (fake + t[:, None] * direction), axis=1)
    return t, residual
