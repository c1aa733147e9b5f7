"""The gradients ``keras.ops`` does not offer, one implementation per backend.

Keras 3 has no backend-neutral gradient op (keras-team/keras#19220), but two
places of the papers need one outside the training step's own gradient:

* WGAN-GP's penalty differentiates the critic with respect to its *input*
  (Algorithm 1, line 7: ``grad_{x^} D(x^)``), inside the critic loss that is
  itself differentiated with respect to the critic's weights, so the input
  gradient must stay differentiable (second order);
* measurements of trained networks (gradient norms per layer, the
  generator's gradient) differentiate a loss with respect to some weights.

TensorFlow records a tape, JAX transforms a function (nested ``jax.grad``
works on the closed-over weights of an enclosing ``jax.grad``), PyTorch
builds a graph with ``create_graph=True``.
"""

import keras
from keras import ops

from wgan_keras.backends import SUPPORTED


def backend():
    """The active Keras backend's name."""
    return keras.backend.backend()


def input_gradient(fn, x):
    """``grad_x sum(fn(x))``: each sample's output differentiated w.r.t. its input.

    For a function that treats samples independently (a critic without
    batch normalisation) row ``i`` is ``grad_{x_i} fn(x)_i``. The result is
    differentiable again, so a loss built from it (the gradient penalty)
    can be differentiated with respect to the weights ``fn`` uses.
    """
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            values = fn(x)
        return tape.gradient(values, x)
    if name == "jax":
        import jax
        from keras.src.backend.common.stateless_scope import StatelessScope, get_stateless_scope

        outer = get_stateless_scope()

        def total(inputs):
            # Variable updates made inside this gradient (batch statistics)
            # hold its tracers: keep them in a scope of their own and drop
            # them, so nothing leaks into the enclosing step or the model.
            with StatelessScope() as inner:
                if outer is not None:
                    inner.state_mapping = dict(outer.state_mapping)
                return ops.sum(fn(inputs))

        return jax.grad(total)(ops.convert_to_tensor(x))
    if name == "torch":
        import torch

        x = ops.convert_to_tensor(x).detach().requires_grad_(True)
        with torch.enable_grad():
            values = fn(x)
            (gradient,) = torch.autograd.grad(ops.sum(values), x, create_graph=True)
        return gradient
    raise NotImplementedError(f"wgan_keras supports the {', '.join(SUPPORTED)} backends; the active one is {name!r}.")


def value_and_gradients(fn, variables):
    """``(fn(), [d fn() / d v for v in variables])`` for a scalar ``fn`` of no arguments.

    Eager use, outside a training step: measuring how much gradient a loss
    sends to some weights. Variables are only read; updates ``fn`` makes
    (batch statistics) are discarded on JAX.
    """
    variables = list(variables)
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            value = fn()
        gradients = tape.gradient(value, variables)
        return value, [ops.zeros_like(v) if g is None else g for v, g in zip(variables, gradients)]
    if name == "jax":
        import jax

        def pure(values):
            with keras.StatelessScope(state_mapping=list(zip(variables, values))):
                return fn()

        return jax.value_and_grad(pure)([v.value for v in variables])
    if name == "torch":
        import torch

        with torch.enable_grad():
            value = fn()
            if not value.requires_grad:  # computed without the variables (through numpy): no gradient reaches them
                return value, [ops.zeros_like(v) for v in variables]
            gradients = torch.autograd.grad(value, [v.value for v in variables], allow_unused=True)
        return value.detach(), [ops.zeros_like(v) if g is None else g for v, g in zip(variables, gradients)]
    raise NotImplementedError(f"wgan_keras supports the {', '.join(SUPPORTED)} backends; the active one is {name!r}.")
