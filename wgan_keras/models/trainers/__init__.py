"""The training step of each backend, behind one small interface.

As Keras splits ``trainers/`` per backend, each module here holds
``Trainer``, a mixin that ``AdversarialModel`` puts before ``keras.Model``:
``train_step`` (one generator iteration of Algorithm 1), ``test_step``
(validation), ``make_train_function`` (the warm-up's extra critic updates
and the divergence check around Keras's compiled step) and
``critic_update_function`` (one critic update on given real and fake
batches, for critics trained against a fixed distribution).

* ``tensorflow``: gradient tapes, variables updated in place, ``tf.distribute``.
* ``jax``: a stateless step, jit-compiled: the weights, optimizer states,
  random-stream states and metric states go in as values and come out
  updated; ``keras.distribution`` for data parallelism.
"""

import keras

_BACKEND = keras.backend.backend()

if _BACKEND == "tensorflow":
    from wgan_keras.models.trainers.tensorflow import Trainer
elif _BACKEND == "jax":
    from wgan_keras.models.trainers.jax import Trainer
else:
    raise ImportError(
        f"wgan_keras trains on Keras's tensorflow and jax backends; the active backend is {_BACKEND!r}. "
        "Set KERAS_BACKEND=tensorflow or KERAS_BACKEND=jax before importing Keras (the README's "
        "'Backends' section says what stands in the way of PyTorch)."
    )

__all__ = ["Trainer"]
