"""The stream of real minibatches that feeds Algorithm 1, on every backend.

One ``fit`` step is one generator iteration, and every critic update in it
draws a fresh real minibatch (WGAN Algorithm 1, line 3; WGAN-GP Algorithm 1,
line 3). So ``fit`` reads *elements* of shape ``(batch, n_critic, *sample)``:
``n_critic`` consecutive batches of the user's data, batch axis first (so a
data-parallel run splits every critic batch across devices).

Sources:

* a numpy array of samples: batches of a seeded permutation of the samples,
  a new permutation for every pass. Batch ``i`` of the endless sequence is a
  function of ``(seed, i)`` alone, so the stream can start anywhere.
* a ``keras.utils.PyDataset`` of batches (``wgan_keras.data.toy_dataset``, or
  the user's): batch ``i`` is item ``i`` (modulo its length when finite).
* a ``tf.data.Dataset`` of batches (when TensorFlow is installed): grouped
  with ``tf.data``, read from its start at every ``fit``.

Indexable sources (arrays and PyDatasets) start at the element the model has
reached (set when training begins, after callbacks such as
``BackupAndRestore`` have restored the model): a ``fit`` continues the stream
where the last one stopped, and a resumed run reads exactly the batches an
uninterrupted run would have read.

The stream is endless; ``fit`` passes ``steps_per_epoch`` (generator
iterations) to Keras, so the progress bar and the History count generator
iterations, and an input whose passes end in the middle of an epoch (WGAN's
warm-up reads 100 batches per early iteration) simply continues into its
next pass.
"""

import itertools
import sys

import keras
import numpy as np

from wgan_keras import params
from wgan_keras.data.batching import ArrayBatches


def _features(element):
    """The samples of an element: ``x`` of ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, w)``."""
    if isinstance(element, (tuple, list)):
        return element[0]
    if isinstance(element, dict):
        raise ValueError(
            "Dataset elements must be a tensor or a tuple (samples, labels, ...); "
            f"got a dict with keys {sorted(element)}."
        )
    return element


def is_tf_dataset(x):
    """True for a ``tf.data.Dataset``, without importing TensorFlow."""
    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(x, tf.data.Dataset)


class PyDatasetBatches:
    """Batches of a ``keras.utils.PyDataset``: item ``i`` (modulo its length when finite).

    Every batch is checked against batch 0 (shape, floating dtype), so a bad
    batch is named by its index rather than failing later inside numpy or the
    step.
    """

    def __init__(self, dataset):
        self.dataset = dataset
        self.per_pass = dataset.num_batches
        self.name = type(dataset).__name__
        self.expected = None  # (shape, dtype) of batch 0
        # wgan_keras's own datasets are pure functions of the index; a user's
        # may keep state, so it is read from several threads only when it
        # asks for workers.
        self.thread_safe = getattr(dataset, "thread_safe", False)
        self.workers = max(1, int(getattr(dataset, "workers", 1) or 1))

    def __len__(self):
        return self.per_pass

    def __getitem__(self, index):
        if self.per_pass is not None:
            index %= self.per_pass
        batch = np.asarray(_features(self.dataset[index]))
        if self.expected is None:
            self.expected = (batch.shape, batch.dtype)
        shape, dtype = self.expected
        if not np.issubdtype(batch.dtype, np.floating):
            raise ValueError(
                f"The {self.name}'s batch {index} holds {batch.dtype} values, batch 0 held {dtype}: every batch "
                "must hold floating-point samples in the generator's range."
            )
        if batch.shape != shape:
            raise ValueError(
                f"The {self.name}'s batch {index} has shape {batch.shape}; batch 0 had shape {shape} and every "
                "batch must have that shape (the same batch size and sample shape)."
            )
        return batch


class CriticStream(keras.utils.PyDataset):
    """Endless elements ``(batch, n_critic, *sample)`` of an indexable batch source.

    Item ``i`` is element ``start + i``, which holds batches
    ``j * n_critic, ..., j * n_critic + n_critic - 1`` of the source, ``j = start + i``.
    """

    def __init__(self, batches, n_critic, dtype="float32"):
        super().__init__()
        self.batches = batches
        self.n_critic = n_critic
        self.dtype = dtype
        #: the element iteration starts at (set by the model when fit starts).
        self.start = 0

    @property
    def num_batches(self):
        return None

    def element(self, index):
        first = index * self.n_critic
        group = [np.asarray(self.batches[first + k]) for k in range(self.n_critic)]
        return np.stack(group, axis=1).astype(self.dtype, copy=False)

    def __getitem__(self, index):
        return (self.element(self.start + index),)


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
        import tensorflow as tf

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
    """A ``keras.utils.PyDataset`` as this backend's ``fit`` should read it.

    On TensorFlow Keras turns a PyDataset into an autotuned ``tf.data``
    pipeline, which stalls when its iterator is deleted (see
    :func:`without_autotune`); this builds that pipeline without
    autotuning. Other backends read the PyDataset itself.
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


def check_sample_shape(got, want, critic_name):
    got = tuple(got)
    if len(got) != len(want) or any(g is not None and w is not None and g != w for g, w in zip(got, want)):
        raise ValueError(
            f"The data's sample shape {got} does not match the {critic_name}'s input "
            f"shape {want} (batches must have shape (batch,) + {want})."
        )


def check_real_values(array, name="x"):
    """Real samples must be finite floats; images in [0, 255] integers are refused.

    The generators end in ``tanh`` (images in [-1, 1]); training them against
    raw 8-bit pixels silently fails, so integer arrays are refused with the
    conversion to use rather than converted by a guessed rule.
    """
    if np.issubdtype(array.dtype, np.integer) or array.dtype == bool:
        raise ValueError(
            f"{name} holds {array.dtype} values; real samples must be floats in the generator's range. "
            "For 8-bit images use x.astype('float32') / 127.5 - 1 (pixels 0..255 to [-1, 1], the range of "
            "the tanh generators)."
        )
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"{name} must hold floating-point samples; got dtype {array.dtype}.")


class Stream:
    """What ``fit`` feeds Keras, and how many generator iterations one pass holds."""

    def __init__(self, data, per_pass, batch_size, source=None):
        self.data = data
        self.per_pass = per_pass  # real batches in one pass over the data, None if endless
        self.batch_size = batch_size
        self.source = source  # the CriticStream of an indexable input, which starts where the model stands


def critic_stream(x, model, batch_size=None, shuffle=True, seed=0):
    """The endless stream of ``(batch, n_critic, *sample)`` elements for ``model.fit``.

    Args:
        x: a numpy array of real samples, a ``keras.utils.PyDataset`` of real
            batches, or a ``tf.data.Dataset`` of real batches.
        model: the adversarial model (its ``n_critic``, ``sample_shape``,
            replicas and the start of the stream).
        batch_size: for arrays only (default 64).
        shuffle: arrays: a seeded permutation per pass.
        seed: the permutation's seed.
    """
    n_critic = model.n_critic
    dtype = model.compute_dtype
    if not isinstance(x, (np.ndarray, keras.utils.PyDataset)) and not is_tf_dataset(x):
        raise ValueError(
            "x must be a numpy array of real samples, a keras.utils.PyDataset of real batches or a "
            f"tf.data.Dataset of real batches; got {type(x).__name__}"
            + (" (convert it with numpy.asarray(x, dtype='float32'))." if isinstance(x, (list, tuple)) else ".")
        )
    if isinstance(x, np.ndarray):
        batch_size = params.require_int("batch_size", 64 if batch_size is None else batch_size, minimum=1)
        check_real_values(x)
        check_sample_shape(x.shape[1:], model.sample_shape, model.critic_name)
        if len(x) < batch_size:
            raise ValueError(
                f"x holds {len(x)} samples, fewer than one batch of batch_size = {batch_size}. "
                "Pass more data or a smaller batch_size."
            )
        _check_replicas(batch_size, model)
        batches = ArrayBatches(np.asarray(x, dtype="float32"), batch_size, seed, shuffle)
        return _indexable_stream(batches, n_critic, dtype, batch_size, model._tf_pipelines)
    if batch_size is not None:
        raise ValueError(
            f"batch_size must be None when x is a {type(x).__name__} (it yields batches); got {batch_size!r}."
        )
    if isinstance(x, keras.utils.PyDataset):
        batches = PyDatasetBatches(x)
        if batches.per_pass == 0:
            raise ValueError("x is an empty PyDataset: it has no batch.")
        first = batches[0]
        check_sample_shape(first.shape[1:], model.sample_shape, model.critic_name)
        check_real_values(first)
        _check_replicas(len(first), model)
        _check_batches_fill_an_iteration(batches.per_pass, n_critic)
        return _indexable_stream(batches, n_critic, dtype, len(first), model._tf_pipelines)
    if is_tf_dataset(x):
        return _tf_critic_stream(x, model)
    raise ValueError(
        "x must be a numpy array of real samples, a keras.utils.PyDataset of real batches or a "
        f"tf.data.Dataset of real batches; got {type(x).__name__}."
    )


def _indexable_stream(batches, n_critic, dtype, batch_size, pipelines):
    source = CriticStream(batches, n_critic, dtype)
    data = pipelines.use(source) if keras.backend.backend() == "tensorflow" else source
    return Stream(data, batches.per_pass, batch_size, source)


def _check_replicas(batch_size, model):
    replicas = model.replicas()
    if batch_size % replicas:
        raise ValueError(
            f"The batch size {batch_size} must be divisible by the number of replicas "
            f"({replicas}): each replica trains on an equal share of every global batch."
        )


def _check_batches_fill_an_iteration(per_pass, n_critic):
    if per_pass is not None and per_pass < n_critic:
        raise ValueError(
            f"The data holds {per_pass} batch(es) per pass, fewer than the n_critic = {n_critic} fresh batches "
            "one generator iteration needs. Pass more data or a smaller n_critic."
        )


def _tf_critic_stream(x, model):
    import tensorflow as tf

    spec = _features(x.element_spec)
    if not isinstance(spec, tf.TensorSpec):
        raise ValueError(f"Dataset elements must be tensors of real samples; got {spec}.")
    check_sample_shape(spec.shape[1:], model.sample_shape, model.critic_name)
    if not spec.dtype.is_floating:
        check_real_values(np.zeros((), spec.dtype.as_numpy_dtype), "the dataset")
    if spec.shape[0] is None:
        raise ValueError(
            "Every real batch must have the same size: batch the dataset with "
            "drop_remainder=True (its batch dimension is unknown)."
        )
    _check_replicas(int(spec.shape[0]), model)
    cardinality = int(x.cardinality())
    per_pass = cardinality if cardinality >= 0 else None  # infinite or unknown
    _check_batches_fill_an_iteration(per_pass, model.n_critic)
    dtype = model.compute_dtype

    def layout(batches):
        perm = [1, 0] + list(range(2, len(batches.shape)))
        return tf.transpose(tf.cast(batches, dtype), perm)

    grouped = x.map(_features).batch(model.n_critic, drop_remainder=True).map(layout)
    if per_pass is not None:
        grouped = grouped.repeat()
    return Stream(without_autotune(grouped.prefetch(2)), per_pass, int(spec.shape[0]))


def default_steps_per_epoch(stream, n_critic):
    """Generator iterations that one pass over the data feeds with ``n_critic`` batches each."""
    if stream.per_pass is None:
        return None
    return stream.per_pass // n_critic


def validation_stream(x, batch_size):
    """Validation data: arrays batched (and, on TensorFlow, a tf.data without autotuning)."""
    if isinstance(x, np.ndarray):
        check_real_values(x, "validation_data")
        batch_size = params.require_int("batch_size", 64 if batch_size is None else batch_size, minimum=1)
        x = np.asarray(x, dtype="float32")
        if keras.backend.backend() != "tensorflow":
            return ArrayBatches((x,), batch_size, shuffle=False, repeat=False, drop_remainder=False)
        import tensorflow as tf

        return without_autotune(tf.data.Dataset.from_tensor_slices(x).batch(batch_size).prefetch(2))
    if is_tf_dataset(x):
        return without_autotune(x)
    return x
