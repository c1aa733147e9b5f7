"""How Keras's own ``fit`` reads a batcher of this package (a ``keras.utils.PyDataset``).

Used by the trainers' validation input and by the quality scorer's
classifier, which Keras's ``fit`` trains. TensorFlow is imported only on the
TensorFlow backend.
"""

import itertools

import keras
import numpy as np


def without_autotune(dataset):
    """``dataset`` with tf.data's autotuning thread turned off.

    Deleting an iterator of an autotuned dataset waits for that thread's next
    wake-up, on a schedule of 10 ms x 2^k after the iterator was created: up
    to half of a ``fit`` call's time was spent there, after its last batch
    (TensorFlow 2.21; the reproduction is in the README's speed section).
    Prefetch buffers still grow on demand and parallel maps still run on
    every core without it.
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def keras_input(batches):
    """``batches`` (a ``keras.utils.PyDataset``) as the active backend's ``fit`` should read it.

    On JAX (and any backend without ``tf.data``) that is ``batches`` itself.
    On TensorFlow, Keras turns a PyDataset into an autotuned ``tf.data``
    pipeline, which stalls when its iterator is deleted (see
    :func:`without_autotune`); this builds that pipeline without autotuning.
    """
    if keras.backend.backend() != "tensorflow":
        return batches
    import tensorflow as tf

    count = batches.num_batches
    indices = itertools.count() if count is None else range(count)
    first = batches[0]
    spec = tf.nest.map_structure(lambda a: tf.TensorSpec((None,) + np.shape(a)[1:], np.asarray(a).dtype), first)
    dataset = tf.data.Dataset.from_generator(lambda: (batches[i] for i in indices), output_signature=spec)
    if count is not None:
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(count))
    return without_autotune(dataset.prefetch(2))
