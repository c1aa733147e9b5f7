"""The training step, split as Keras splits ``trainers/``: one outline, one file of primitives per backend.

* ``base``: ``Trainer``, Algorithm 1's outline (the critic loop, WGAN's
  warm-up chunks, counting iterations, the divergence flag) and the
  primitives and hooks a backend provides, each documented there.
* ``tensorflow``: gradient tapes, variables updated in place, ``tf.distribute``;
  ``tensorflow_input``: its ``tf.data`` pipelines.
* ``jax``: a stateless step, jit-compiled: the weights, optimizer states,
  random-stream states and metric states go in as values and come out
  updated; ``keras.distribution`` for data parallelism.
* ``torch``: autograd, variables updated in place, eager; one device.

``Trainer`` here is the active backend's; ``AdversarialModel`` puts it
before ``keras.Model``.
"""

import keras

_BACKEND = keras.backend.backend()

if _BACKEND == "tensorflow":
    from wgan_keras.models.trainers.tensorflow import Trainer
elif _BACKEND == "jax":
    from wgan_keras.models.trainers.jax import Trainer
elif _BACKEND == "torch":
    from wgan_keras.models.trainers.torch import Trainer
else:
    raise ImportError(
        f"wgan_keras trains on Keras's tensorflow, jax and torch backends; the active backend is {_BACKEND!r}. "
        "Set KERAS_BACKEND to one of them before importing Keras."
    )

__all__ = ["Trainer"]
