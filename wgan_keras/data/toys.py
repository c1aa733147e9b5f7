"""The 2-D toy distributions of WGAN-GP (Section 4.1 / Figure 1, ``gan_toy.py``).

Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017
(arXiv 1704.00028); definitions from the official
igul222/improved_wgan_training ``gan_toy.py``: ``"8gaussians"``,
``"25gaussians"``, ``"swissroll"``. :func:`toy` samples a set,
:func:`toy_modes` gives a mixture's centres, :func:`toy_dataset` an endless
seeded stream of batches (:class:`ToyBatches`).
"""

from __future__ import annotations

import math

import keras
import numpy as np

from wgan_keras import params

#: Names accepted by :func:`toy`, :func:`toy_modes` and :func:`toy_dataset`.
TOY_NAMES = ("8gaussians", "25gaussians", "swissroll")

# gan_toy.py constants (before the final division by the "stdev" value).
_8G_SCALE = 2.0
_8G_STD = 0.02
_8G_DIV = 1.414
_25G_STD = 0.05
_25G_DIV = 2.828
_SR_NOISE = 0.25
_SR_DIV = 7.5


def _ring_centres() -> np.ndarray:
    """The 8 ring centres of ``gan_toy.py`` (radius 2), in its order."""
    s = 1.0 / np.sqrt(2.0)
    unit = np.array(
        [(1, 0), (-1, 0), (0, 1), (0, -1), (s, s), (s, -s), (-s, s), (-s, -s)],
        dtype=np.float64,
    )
    return _8G_SCALE * unit


def _grid_centres() -> np.ndarray:
    """The 25 grid centres 2*{-2..2}^2 of ``gan_toy.py`` (x outer, y inner)."""
    return np.array(
        [(2.0 * x, 2.0 * y) for x in range(-2, 3) for y in range(-2, 3)],
        dtype=np.float64,
    )


def toy(name: str, n: int, seed: int = 0) -> np.ndarray:
    """Sample ``n`` points of a WGAN-GP 2-D toy distribution.

    WGAN-GP (Gulrajani et al. 2017), Section 4.1 and Figure 1; definitions
    from the official ``gan_toy.py``:

    * ``"8gaussians"``: 8 centres on a circle of radius 2 (the 4 axis points
      and the 4 diagonals), each point a uniformly chosen centre plus
      N(0, 0.02^2) noise; everything divided by 1.414.
    * ``"25gaussians"``: centres 2*{-2..2}^2, noise std 0.05, divided by
      2.828.
    * ``"swissroll"``: ``sklearn.datasets.make_swiss_roll(noise=0.25)``
      columns (x, z), divided by 7.5.

    Args:
        name: one of :data:`TOY_NAMES`.
        n: number of points (>= 1).
        seed: non-negative integer; the mixtures use
            ``numpy.random.default_rng(seed)``, the swiss roll passes it to
            scikit-learn as ``random_state``. Same seed, same array.

    Returns:
        float32 array of shape (n, 2).
    """
    params.require_choice("name", name, TOY_NAMES)
    n = params.require_int("n", n, minimum=1)
    seed = params.require_seed(seed)
    if name == "swissroll":
        from sklearn.datasets import make_swiss_roll

        x = make_swiss_roll(n_samples=n, noise=_SR_NOISE, random_state=seed)[0]
        return (x[:, [0, 2]] / _SR_DIV).astype(np.float32)
    rng = np.random.default_rng(seed)
    if name == "8gaussians":
        centres, std, div = _ring_centres(), _8G_STD, _8G_DIV
    else:
        centres, std, div = _grid_centres(), _25G_STD, _25G_DIV
    which = rng.integers(0, len(centres), size=n)
    points = centres[which] + std * rng.standard_normal((n, 2))
    return (points / div).astype(np.float32)


def toy_modes(name: str) -> tuple[np.ndarray, float]:
    """Mode centres and per-mode std of a WGAN-GP toy Gaussian mixture.

    For the mode-coverage metrics (VEEGAN / PacGAN definitions: a sample is
    high quality if within 3 std of its nearest centre; a mode is captured if
    it is the nearest centre of at least one high-quality sample) applied to
    the WGAN-GP toy mixtures (Gulrajani et al. 2017, Section 4.1).

    Args:
        name: ``"8gaussians"`` or ``"25gaussians"``.

    Returns:
        ``(centres, std)``: float64 array (k, 2) of the centres after the
        final scaling (k = 8 or 25, same order as :func:`toy` uses) and the
        scaled std (0.02 / 1.414 or 0.05 / 2.828).

    Raises:
        ValueError: for ``"swissroll"`` (a continuous manifold, no modes) or
            an unknown name.
    """
    if name == "swissroll":
        raise ValueError(
            "name='swissroll' has no modes (it is a continuous manifold); "
            "toy_modes accepts '8gaussians' or '25gaussians'."
        )
    params.require_choice("name", name, ("8gaussians", "25gaussians"))
    if name == "8gaussians":
        return _ring_centres() / _8G_DIV, _8G_STD / _8G_DIV
    return _grid_centres() / _25G_DIV, _25G_STD / _25G_DIV


class ToyBatches(keras.utils.PyDataset):
    """Endless, reproducible batches of a toy distribution: item ``i`` is batch ``start + i``.

    Batch ``k`` is drawn from ``numpy.random.default_rng([seed, k])``, so it
    is a fixed function of ``(name, batch_size, seed, k)`` on every backend
    and in every process; see :func:`toy_dataset`.
    """

    #: a pure function of the index: ``fit`` may read it from several threads.
    thread_safe = True

    def __init__(self, name, batch_size=256, seed=0, start=0):
        super().__init__()
        self.name = params.require_choice("name", name, TOY_NAMES)
        self.batch_size = params.require_int("batch_size", batch_size, minimum=1)
        self.seed = params.require_seed(seed)
        self.start = params.require_int("start", start, minimum=0)
        if name != "swissroll":
            self._centres, self._std = toy_modes(name)

    @property
    def num_batches(self):
        return None

    def __getitem__(self, index):
        rng = np.random.default_rng([self.seed, self.start + index])
        if self.name == "swissroll":
            # The closed form of sklearn.datasets.make_swiss_roll (x and z columns).
            t = 1.5 * math.pi * (1.0 + 2.0 * rng.random(self.batch_size))
            roll = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) + _SR_NOISE * rng.standard_normal(
                (self.batch_size, 2)
            )
            return (roll / _SR_DIV).astype(np.float32)
        which = rng.integers(0, len(self._centres), size=self.batch_size)
        points = self._centres[which] + self._std * rng.standard_normal((self.batch_size, 2))
        return points.astype(np.float32)


def toy_dataset(name: str, batch_size: int = 256, seed: int = 0, start: int = 0) -> ToyBatches:
    """Endless, reproducible stream of toy batches for WGAN-GP toy training.

    WGAN-GP (Gulrajani et al. 2017), Section 4.1 / ``gan_toy.py``
    (``inf_train_gen``, batch 256; a fresh real batch for every critic
    iteration, Algorithm 1). Same distributions as :func:`toy`, drawn batch
    by batch: batch ``k`` is a fixed function of ``(name, batch_size, seed,
    k)`` (``numpy.random.default_rng([seed, k])``), the same on every Keras
    backend. A ``keras.utils.PyDataset`` that ``fit`` reads by index, so a
    model continues the stream where it stopped (also after a restore);
    ``start=k`` makes item 0 batch ``k``. The numbers differ from
    :func:`toy` with the same seed (other draws), the distribution is the same.

    Args:
        name: one of :data:`TOY_NAMES`.
        batch_size: points per batch (>= 1).
        seed: non-negative integer.
        start: index of the first batch (>= 0).

    Returns:
        A :class:`ToyBatches`: endless, ``stream[i]`` is a float32 array of
        shape (batch_size, 2).
    """
    return ToyBatches(name, batch_size=batch_size, seed=seed, start=start)
