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
  with ``tf.data``, read from its start at every ``fit``
  (``trainers/tensorflow_input.py``, reached through ``model.dataset_stream``).

This module imports no backend: what a backend's ``fit`` reads (on
TensorFlow, a ``tf.data`` pipeline of the stream) comes from the model's
trainer hooks ``feed`` and ``feed_validation``.

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

import sys

import keras
import numpy as np

from wgan_keras import params
from wgan_keras.data.batching import ArrayBatches


def features(element):
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
        batch = np.asarray(features(self.dataset[index]))
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
        check_replicas(batch_size, model)
        batches = ArrayBatches(np.asarray(x, dtype="float32"), batch_size, seed, shuffle)
        return _indexable_stream(batches, n_critic, dtype, batch_size, model)
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
        check_replicas(len(first), model)
        check_batches_fill_an_iteration(batches.per_pass, n_critic)
        return _indexable_stream(batches, n_critic, dtype, len(first), model)
    if is_tf_dataset(x):
        return model.dataset_stream(x)
    raise ValueError(
        "x must be a numpy array of real samples, a keras.utils.PyDataset of real batches or a "
        f"tf.data.Dataset of real batches; got {type(x).__name__}."
    )


def _indexable_stream(batches, n_critic, dtype, batch_size, model):
    source = CriticStream(batches, n_critic, dtype)
    data = model.feed(source)  # what the backend's fit reads (TensorFlow: a tf.data pipeline)
    return Stream(data, batches.per_pass, batch_size, source)


def check_replicas(batch_size, model):
    replicas = model.replicas()
    if batch_size % replicas:
        raise ValueError(
            f"The batch size {batch_size} must be divisible by the number of replicas "
            f"({replicas}): each replica trains on an equal share of every global batch."
        )


def check_batches_fill_an_iteration(per_pass, n_critic):
    if per_pass is not None and per_pass < n_critic:
        raise ValueError(
            f"The data holds {per_pass} batch(es) per pass, fewer than the n_critic = {n_critic} fresh batches "
            "one generator iteration needs. Pass more data or a smaller n_critic."
        )


def default_steps_per_epoch(stream, n_critic):
    """Generator iterations that one pass over the data feeds with ``n_critic`` batches each."""
    if stream.per_pass is None:
        return None
    return stream.per_pass // n_critic


def validation_stream(x, batch_size, feed):
    """Validation data: arrays batched, then ``feed`` (the trainer's hook: on TensorFlow a tf.data pipeline)."""
    if isinstance(x, np.ndarray):
        check_real_values(x, "validation_data")
        batch_size = params.require_int("batch_size", 64 if batch_size is None else batch_size, minimum=1)
        x = np.asarray(x, dtype="float32")
        return feed(ArrayBatches((x,), batch_size, shuffle=False, repeat=False, drop_remainder=False))
    if is_tf_dataset(x):
        return feed(x)
    return x
