"""Weight clipping, WGAN's way of keeping the critic K-Lipschitz.

WGAN Algorithm 1, line 7: ``w <- clip(w, -c, c)`` after every critic update.
It applies to *every* trainable critic variable: kernels, biases and
normalisation parameters (the official code clamps ``netD.parameters()``).
Clipping through ``kernel_constraint`` alone leaves biases unbounded, which is
a known fault of several ports.
"""

import keras
from keras import ops

from wgan_keras import params


def clip_values(values, clip_value):
    """``[clip(w, -c, c) for w in values]``: Algorithm 1, line 7, on values.

    The pure form, for a stateless training step (JAX) that holds the
    critic's weights as values rather than variables.
    """
    clip_value = params.require_number("clip_value", clip_value, minimum=0, exclusive_minimum=True)
    return [ops.clip(value, -clip_value, clip_value) for value in values]


def clip_variables(variables, clip_value):
    """Clip each variable to ``[-clip_value, clip_value]`` in place.

    Works eagerly, in a compiled step, and inside a ``tf.distribute`` replica
    context, where mirrored variables can only be written through the
    strategy (the route Keras's optimizers take for weight decay).
    """
    variables = list(variables)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        if tf.distribute.has_strategy() and not tf.distribute.in_cross_replica_context():
            _clip_mirrored(
                variables, params.require_number("clip_value", clip_value, minimum=0, exclusive_minimum=True)
            )
            return
    for variable, value in zip(variables, clip_values(variables, clip_value)):
        variable.assign(value)


def _clip_mirrored(variables, clip_value):
    import tensorflow as tf

    def clip(var):
        return var.assign(ops.clip(var, -clip_value, clip_value))

    def clip_all(distribution, tf_variables):
        for var in tf_variables:
            distribution.extended.update(var, clip, group=False)

    tf_variables = [getattr(v, "value", v) for v in variables]
    tf.__internal__.distribute.interim.maybe_merge_call(clip_all, tf.distribute.get_strategy(), tf_variables)
