"""Weight clipping, WGAN's way of keeping the critic K-Lipschitz.

WGAN Algorithm 1, line 7: ``w <- clip(w, -c, c)`` after every critic update.
It applies to *every* trainable critic variable: kernels, biases and
normalisation parameters (the official code clamps ``netD.parameters()``).
Clipping through ``kernel_constraint`` alone leaves biases unbounded, which is
a known fault of several ports.
"""

import tensorflow as tf
from keras import ops


def clip_variables(variables, clip_value):
    """Clip each variable to ``[-clip_value, clip_value]`` in place.

    Works in eager and graph mode and inside a ``tf.distribute`` replica
    context, where mirrored variables can only be written through the
    strategy (the same route Keras's optimizers take for weight decay).
    """
    if clip_value <= 0:
        raise ValueError(f"clip_value must be > 0; got {clip_value}.")
    variables = list(variables)

    def clip(var):
        return var.assign(ops.clip(var, -clip_value, clip_value))

    strategy = tf.distribute.get_strategy()
    if not tf.distribute.in_cross_replica_context() and tf.distribute.has_strategy():

        def clip_all(distribution, tf_variables):
            for var in tf_variables:
                distribution.extended.update(var, clip, group=False)

        tf_variables = [getattr(v, "value", v) for v in variables]
        tf.__internal__.distribute.interim.maybe_merge_call(clip_all, strategy, tf_variables)
        return
    for var in variables:
        var.assign(ops.clip(var, -clip_value, clip_value))
