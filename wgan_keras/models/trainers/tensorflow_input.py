"""The ``tf.data`` side of the stream of real minibatches (``wgan_keras.models.stream``).

On the TensorFlow backend ``fit`` reads the model's ``stream.CriticStream``
through a ``tf.data`` pipeline built here (:class:`TFPipelines`), and every
pipeline is built without tf.data's autotuning (:func:`without_autotune`).
A ``tf.data.Dataset`` of real batches is grouped into stream elements here
(:func:`critic_stream`), on either backend (TensorFlow installed). The
trainers reach this module through their hooks (``feed``,
``feed_validation``, ``dataset_stream``); ``stream`` itself imports no
TensorFlow.
"""

import numpy as np
import tensorflow as tf

from wgan_keras.data.batching import ArrayBatches
from wgan_keras.data.feeding import keras_input, without_autotune
from wgan_keras.models import stream


class TFPipelines:
    """The TensorFlow backend's input for a model's ``CriticStream``: one ``tf.data`` pipeline per element shape.

    Elements are read by index, in blocks of consecutive elements (one
    Python call per block rather than per element), by a ``tf.data`` map
    that reads blocks in parallel and in order ahead of the step; the
    elements are those of ``CriticStream.element``, so both backends read
    the same batches. A ``from_generator`` pipeline, the earlier design,
    handed every element through a Python generator on one thread.

    Building a pipeline traces its functions, about 20 ms on the project's
    CPU, which every short ``fit`` call would pay again: a pipeline here is
    built once per element shape, dtype and parallelism and reads the
    stream of the current ``fit`` (``use``), from the element that stream
    starts at when training begins; ``release`` drops the reference to the
    data when ``fit`` ends. An exception raised while reading the data
    (``PyDatasetBatches``' checks, a user's ``__getitem__``) is kept in
    ``error`` so ``fit`` can raise it as it was raised.
    """

    #: bytes of real samples one Python call reads, at most (one element at least).
    BLOCK_BYTES = 1 << 20
    #: elements one Python call reads, at most (what a ``fit`` may read ahead of its last step).
    BLOCK_ELEMENTS = 8

    def __init__(self):
        self.stream = None
        self.error = None
        self._pipelines = {}

    def use(self, stream):
        """The pipeline that yields ``stream``'s elements from ``stream.start`` on."""
        self.stream = stream
        self.error = None
        first = stream.element(0)
        block = int(max(1, min(self.BLOCK_ELEMENTS, self.BLOCK_BYTES // max(1, first.nbytes))))
        batches = stream.batches
        parallel = 2 if getattr(batches, "thread_safe", False) else getattr(batches, "workers", 1)
        signature = (first.shape, stream.dtype, block, parallel)
        if signature not in self._pipelines:

            def read(number):
                current = self.stream
                if current is None:  # a read ahead of an iterator whose fit has ended
                    raise RuntimeError("the stream of this pipeline was released when its fit ended")
                begin = current.start + int(number) * block
                try:
                    return np.stack([current.element(begin + i) for i in range(block)])
                except Exception as error:
                    if self.stream is current:  # not a late read of an earlier fit
                        self.error = error
                    raise

            spec = (block,) + tuple(first.shape)
            dtype = tf.as_dtype(np.dtype(stream.dtype))

            def blocks(number):
                return tf.ensure_shape(tf.numpy_function(read, [number], dtype, stateful=False), spec)

            dataset = tf.data.Dataset.range(2**62).map(blocks, num_parallel_calls=parallel, deterministic=True)
            if block > 1:
                dataset = dataset.unbatch()
            self._pipelines[signature] = without_autotune(dataset.prefetch(2))
        return self._pipelines[signature]

    def release(self):
        self.stream = None


def validation_input(data):
    """Validation data (a PyDataset of batches or a ``tf.data.Dataset``) as a pipeline without autotuning.

    Arrays read in order, once (``ArrayBatches`` without shuffling or
    repetition), become tensor slices: no Python call per batch.
    """
    if isinstance(data, tf.data.Dataset):
        return without_autotune(data)
    if isinstance(data, ArrayBatches) and not data.shuffle and not data.repeat and data.order is None:
        slices = tf.data.Dataset.from_tensor_slices(data.arrays)
        remainder_dropped = data.per_pass * data.batch_size < data.rows
        return without_autotune(slices.batch(data.batch_size, drop_remainder=remainder_dropped).prefetch(2))
    return keras_input(data)


def critic_stream(x, model):
    """The ``stream.Stream`` of a ``tf.data.Dataset`` of real batches: grouped with ``tf.data``, read from its start."""
    spec = stream.features(x.element_spec)
    if not isinstance(spec, tf.TensorSpec):
        raise ValueError(f"Dataset elements must be tensors of real samples; got {spec}.")
    stream.check_sample_shape(spec.shape[1:], model.sample_shape, model.critic_name)
    if not spec.dtype.is_floating:
        stream.check_real_values(np.zeros((), spec.dtype.as_numpy_dtype), "the dataset")
    if spec.shape[0] is None:
        raise ValueError(
            "Every real batch must have the same size: batch the dataset with "
            "drop_remainder=True (its batch dimension is unknown)."
        )
    stream.check_replicas(int(spec.shape[0]), model)
    cardinality = int(x.cardinality())
    per_pass = cardinality if cardinality >= 0 else None  # infinite or unknown
    stream.check_batches_fill_an_iteration(per_pass, model.n_critic)
    dtype = model.compute_dtype

    def layout(batches):
        perm = [1, 0] + list(range(2, len(batches.shape)))
        return tf.transpose(tf.cast(batches, dtype), perm)

    grouped = x.map(stream.features).batch(model.n_critic, drop_remainder=True).map(layout)
    if per_pass is not None:
        grouped = grouped.repeat()
    return stream.Stream(without_autotune(grouped.prefetch(2)), per_pass, int(spec.shape[0]))
