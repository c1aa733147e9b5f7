"""Weight clipping, WGAN's way of keeping the critic K-Lipschitz.

WGAN Algorithm 1, line 7: ``w <- clip(w, -c, c)`` after every critic update.
It applies to *every* trainable critic variable: kernels, biases and
normalisation parameters (the official code clamps ``netD.parameters()``).
Clipping through ``kernel_constraint`` alone leaves biases unbounded, which is
a known fault of several ports.
"""

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

    Works eagerly and in a compiled function. The training step clips
    through its trainer (``wgan_keras.models.trainers``), which also handles
    ``tf.distribute``'s mirrored variables inside a replica context.
    """
    variables = list(variables)
    for variable, value in zip(variables, clip_values(variables, clip_value)):
        variable.assign(value)
