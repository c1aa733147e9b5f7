"""The one array batcher: batches of in-memory arrays, the same on every backend.

:class:`ArrayBatches` serves every reader of arrays in the package: the
training stream (``wgan_keras.models.stream``: a fresh real batch for every
critic update, WGAN / WGAN-GP Algorithm 1 line 3), its validation data, the
``QualityScorer``'s classifier training and :func:`wgan_keras.data.digits`.
"""

import math

import keras
import numpy as np

from wgan_keras import params


class ArrayBatches(keras.utils.PyDataset):
    """Batches of arrays in a seeded permutation per pass: item ``i`` is batch ``i``.

    Pass ``p`` (items ``p * per_pass ... (p + 1) * per_pass - 1``) is the
    permutation of ``numpy.random.default_rng([seed, p])`` (or the rows'
    order with ``shuffle=False``); an endless stream drops each pass's
    incomplete last batch, a single pass keeps it unless ``drop_remainder``.
    Batch ``i`` is a function of ``(seed, i)`` alone, so a stream can start
    anywhere (a resumed run reads the batches an uninterrupted one would).

    Args:
        arrays: one array, or a tuple of arrays with the same length (e.g.
            images and labels); items have the same structure (an array, or
            a tuple of arrays).
        batch_size: rows per batch.
        seed: seeds the permutations.
        shuffle: a new permutation every pass.
        repeat: endless (``num_batches`` None); otherwise one pass.
        drop_remainder: (one pass) drop the incomplete last batch.
        order: the rows a pass reads, in this order (indices; default
            every row in turn); ``shuffle`` permutes them per pass.
    """

    #: the same batches when read from several threads (``fit`` and the
    #: TensorFlow pipeline of ``wgan_keras.models.stream`` may).
    thread_safe = True

    def __init__(self, arrays, batch_size, seed=0, shuffle=True, repeat=True, drop_remainder=True, order=None):
        super().__init__()
        self._single = not isinstance(arrays, tuple)
        self.arrays = (arrays,) if self._single else arrays
        self.batch_size = params.require_int("batch_size", batch_size, minimum=1)
        self.seed = params.require_seed(seed)
        self.shuffle = bool(shuffle)
        self.repeat = bool(repeat)
        lengths = [len(a) for a in self.arrays]
        if any(length != lengths[0] for length in lengths):
            raise ValueError(f"arrays must have the same length; got {lengths}.")
        self.order = None if order is None else np.asarray(order)
        self.rows = lengths[0] if order is None else len(self.order)
        full = self.repeat or drop_remainder
        self.per_pass = self.rows // self.batch_size if full else math.ceil(self.rows / self.batch_size)
        if self.per_pass == 0:
            raise ValueError(
                f"batch_size={batch_size} is larger than the {self.rows} rows: no batch would be made "
                "(drop_remainder=True)."
            )
        self._permutation = (None, None)

    @property
    def num_batches(self):
        return None if self.repeat else self.per_pass

    def __getitem__(self, index):
        which, position = divmod(index, self.per_pass)
        if not self.repeat and which:
            raise IndexError(f"batch {index} of a single pass of {self.per_pass} batches.")
        rows = slice(position * self.batch_size, (position + 1) * self.batch_size)
        if self.shuffle:
            cached, permutation = self._permutation  # read once: other threads may replace it
            if cached != which:
                permutation = np.random.default_rng([self.seed, which]).permutation(self.rows)
                self._permutation = (which, permutation)
            rows = permutation[rows]
        if self.order is not None:
            rows = self.order[rows]
        batch = tuple(a[rows] for a in self.arrays)
        return batch[0] if self._single else batch
