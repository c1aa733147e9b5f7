"""A network's forward pass on numpy arrays, compiled once per network.

``keras.Model.predict`` builds a data pipeline and a callback list on every
call, and on TensorFlow each call's pipeline ends with the autotuning stall
described in the README's speed section; sampling and measuring call a
network thousands of times on small arrays. This is the plain compiled
function instead: ``tf.function`` on TensorFlow, ``jax.jit`` of the
stateless call on JAX (weights passed as arguments, so later training is
seen), the eager call without autograd on PyTorch.
"""

import logging
import weakref

import keras
import numpy as np

from wgan_keras.arrays import to_numpy

_FUNCTIONS = weakref.WeakKeyDictionary()


class _QuietRetracing(logging.Filter):
    """Drops TensorFlow's retracing notice for these functions.

    Each network gets its own compiled forward pass, traced once per input
    shape; TensorFlow counts them as one function traced again and again
    (they share their code) and warns, although nothing is wasted.
    """

    def filter(self, record):
        return "_inference.<locals>" not in record.getMessage()


def _inference(model):
    name = keras.backend.backend()
    if name == "tensorflow":
        import tensorflow as tf

        logger = tf.get_logger()
        if not any(isinstance(f, _QuietRetracing) for f in logger.filters):
            logger.addFilter(_QuietRetracing())
        return tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    if name == "jax":
        import jax

        @jax.jit
        def forward(trainable, non_trainable, x):
            return model.stateless_call(trainable, non_trainable, x, training=False)[0]

        return lambda x: forward(
            [v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables], x
        )
    if name == "torch":
        import torch

        def forward(x):
            with torch.no_grad():
                return model(x, training=False)

        return forward
    return lambda x: model(x, training=False)


def predict(model, x, batch_size=1024):
    """``model(x, training=False)`` as a numpy array, in batches of ``batch_size``.

    ``model`` may be a ``keras.Model`` (compiled once and cached) or any
    callable from a batch to outputs (called as it is).
    """
    if isinstance(model, keras.Model):
        if model not in _FUNCTIONS:
            _FUNCTIONS[model] = _inference(model)
        function = _FUNCTIONS[model]
    else:
        function = model
    x = np.asarray(x, dtype="float32")
    outputs = [to_numpy(function(x[start : start + batch_size])) for start in range(0, len(x), batch_size)]
    return np.concatenate(outputs, axis=0)
