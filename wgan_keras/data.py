"""Data for the WGAN and WGAN-GP reproductions.

Papers served:

* WGAN   -- Arjovsky, Chintala, Bottou, "Wasserstein GAN", ICML 2017
  (arXiv 1701.07875); official code martinarjovsky/WassersteinGAN.
* WGAN-GP -- Gulrajani et al., "Improved Training of Wasserstein GANs",
  NeurIPS 2017 (arXiv 1704.00028); official code
  igul222/improved_wgan_training (``gan_toy.py`` for the toy sets).

Contents:

* :func:`toy`, :func:`toy_modes`, :func:`toy_dataset` -- the 2-D toy
  distributions of WGAN-GP (Section 4.1 / Figure 1, ``gan_toy.py``):
  ``"8gaussians"``, ``"25gaussians"``, ``"swissroll"``.
* :func:`parallel_lines`, :func:`parallel_lines_distances` -- WGAN Section 2,
  Example 1 (Figure 1).
* :func:`gaussians_1d`, :func:`gaussian_pdf` -- WGAN Figure 2 (optimal GAN
  discriminator vs. WGAN critic on two 1-D Gaussians).
* :func:`digits` -- scikit-learn's bundled 8x8 handwritten digits: a small,
  offline image set for CPU experiments and tests (e.g. the critic
  over-fitting study of WGAN-GP Figure 5b on a small subset).
* :func:`load` -- real image sets via tensorflow-datasets (MNIST,
  Fashion-MNIST, CIFAR-10, CelebA, LSUN bedrooms) scaled to [-1, 1].

Every random function is seeded: the same arguments give the same numbers.
Images are float32 in [-1, 1] with shape (H, W, C), matching a ``tanh``
generator output.
"""

from __future__ import annotations

import math
import os

import keras
import numpy as np

from wgan_keras import params

__all__ = [
    "TOY_NAMES",
    "LOAD_NAMES",
    "NATIVE_SIZES",
    "OUTPUT_SIZES",
    "CELEBA_CROP",
    "DatasetNotFoundError",
    "toy",
    "toy_modes",
    "toy_dataset",
    "ToyBatches",
    "ArrayBatches",
    "parallel_lines",
    "parallel_lines_distances",
    "gaussians_1d",
    "gaussian_pdf",
    "GAUSSIANS_1D_DEFAULTS",
    "digits",
    "stratified_split",
    "load",
]

# --------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------

#: Names accepted by :func:`toy`, :func:`toy_modes` and :func:`toy_dataset`.
TOY_NAMES = ("8gaussians", "25gaussians", "swissroll")

#: Names accepted by :func:`load` (tensorflow-datasets names).
LOAD_NAMES = ("mnist", "fashion_mnist", "cifar10", "celeb_a", "lsun/bedroom")

#: Side of the central square crop applied to CelebA's 218x178 (H x W)
#: images before resizing: 108x108 at offset (55, 35), the crop of the
#: DCGAN-tensorflow CelebA pipeline (carpedm20) that the WGAN / WGAN-GP
#: 64x64 CelebA experiments follow; it keeps the face and drops most of
#: the background.
CELEBA_CROP = 108

# gan_toy.py constants (before the final division by the "stdev" value).
_8G_SCALE = 2.0
_8G_STD = 0.02
_8G_DIV = 1.414
_25G_STD = 0.05
_25G_DIV = 2.828
_SR_NOISE = 0.25
_SR_DIV = 7.5

_SPLITS_DIGITS = ("train", "validation", "all")
_N_DIGITS = 1797


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


# --------------------------------------------------------------------------
# WGAN-GP toy distributions
# --------------------------------------------------------------------------


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


class ArrayBatches(keras.utils.PyDataset):
    """Batches of arrays in a seeded permutation per pass: item ``i`` is batch ``i``.

    Pass ``p`` (items ``p * per_pass ... (p + 1) * per_pass - 1``) is the
    permutation of ``numpy.random.default_rng([seed, p])`` (or the arrays'
    order with ``shuffle=False``); an endless stream drops each pass's
    incomplete last batch, a single pass keeps it unless ``drop_remainder``.

    Args:
        arrays: one array, or a tuple of arrays with the same length (e.g.
            images and labels; items are then tuples).
        batch_size: rows per batch.
        seed: seeds the permutations.
        shuffle: a new permutation every pass.
        repeat: endless (``num_batches`` None); otherwise one pass.
        drop_remainder: (one pass) drop the incomplete last batch.
    """

    #: the same batches when read from several threads (``fit`` may).
    thread_safe = True

    def __init__(self, arrays, batch_size, seed=0, shuffle=True, repeat=True, drop_remainder=True):
        super().__init__()
        self.arrays = arrays if isinstance(arrays, tuple) else (arrays,)
        self.batch_size = params.require_int("batch_size", batch_size, minimum=1)
        self.seed = params.require_seed(seed)
        self.shuffle = bool(shuffle)
        self.repeat = bool(repeat)
        self.rows = len(self.arrays[0])
        if any(len(a) != self.rows for a in self.arrays):
            raise ValueError(f"arrays must have the same length; got {[len(a) for a in self.arrays]}.")
        full = self.repeat or drop_remainder
        self.per_pass = self.rows // self.batch_size if full else math.ceil(self.rows / self.batch_size)
        if self.per_pass == 0:
            raise ValueError(
                f"batch_size={batch_size} is larger than the {self.rows} rows: no batch would be made "
                "(drop_remainder=True)."
            )
        self._order = (None, None)

    @property
    def num_batches(self):
        return None if self.repeat else self.per_pass

    def __getitem__(self, index):
        which, position = divmod(index, self.per_pass)
        if not self.repeat and which:
            raise IndexError(f"batch {index} of a single pass of {self.per_pass} batches.")
        rows = slice(position * self.batch_size, (position + 1) * self.batch_size)
        if self.shuffle:
            cached, order = self._order  # read once: other threads may replace it
            if cached != which:
                order = np.random.default_rng([self.seed, which]).permutation(self.rows)
                self._order = (which, order)
            rows = order[rows]
        batch = tuple(a[rows] for a in self.arrays)
        return batch[0] if len(batch) == 1 else batch


# --------------------------------------------------------------------------
# WGAN Example 1 and Figure 2
# --------------------------------------------------------------------------


def parallel_lines(theta: float, n: int, seed: int = 0):
    """Samples of WGAN Example 1 (learning parallel lines).

    Arjovsky et al. 2017, Section 2, Example 1 and Figure 1: with
    Z ~ U[0, 1], P0 is the law of (0, Z) and P_theta the law of (theta, Z).
    The two sample sets use independent draws of Z.

    Args:
        theta: horizontal offset of the second line (finite real).
        n: samples per distribution (>= 1).
        seed: non-negative integer for ``numpy.random.default_rng``.

    Returns:
        ``(p0, p_theta)``: two float32 arrays of shape (n, 2); the first
        column is exactly 0 (resp. ``float32(theta)``), the second in [0, 1].
    """
    theta = params.require_number("theta", theta)
    n = params.require_int("n", n, minimum=1)
    seed = params.require_seed(seed)
    rng = np.random.default_rng(seed)
    z = rng.random((2, n)).astype(np.float32)
    p0 = np.stack([np.zeros(n, np.float32), z[0]], axis=1)
    p_theta = np.stack([np.full(n, theta, np.float32), z[1]], axis=1)
    return p0, p_theta


def parallel_lines_distances(theta: float) -> dict:
    """Closed-form distances between P0 and P_theta of WGAN Example 1.

    Arjovsky et al. 2017, Section 2, Example 1: ``W(P0, P_theta) = |theta|``;
    JS = log 2, KL = +inf and TV = 1 when theta != 0, all 0 when theta = 0.
    Only the EM (Wasserstein-1) distance is continuous in theta (Figure 1).

    Returns:
        ``{"EM": float, "JS": float, "KL": float, "TV": float}``.
    """
    theta = params.require_number("theta", theta)
    apart = theta != 0.0
    return {
        "EM": abs(theta),
        "JS": math.log(2.0) if apart else 0.0,
        "KL": math.inf if apart else 0.0,
        "TV": 1.0 if apart else 0.0,
    }


#: Defaults of :func:`gaussians_1d` (WGAN Figure 2 gives no parameters):
#: real N(-2, 0.5^2) on the left, fake N(+2, 0.5^2) on the right, 8 std
#: apart, so the densities barely overlap: the optimal GAN discriminator
#: D*(x) = p_r / (p_r + p_g) is a sigmoid of slope 16 that saturates to
#: 0 / 1 on both supports (vanishing gradients), while the optimal WGAN
#: critic is linear, f(x) = -x (up to a constant). Plot over about [-5, 5].
GAUSSIANS_1D_DEFAULTS = {"mean_real": -2.0, "mean_fake": 2.0, "std": 0.5}


def gaussians_1d(
    n: int,
    mean_real: float = -2.0,
    mean_fake: float = 2.0,
    std: float = 0.5,
    seed: int = 0,
):
    """Two well separated 1-D Gaussians, for WGAN Figure 2.

    Arjovsky et al. 2017, Figure 2 ("Optimal discriminator and critic when
    learning to differentiate two Gaussians"); the paper gives no numbers.
    Defaults (see :data:`GAUSSIANS_1D_DEFAULTS`): real N(-2, 0.5^2), fake
    N(+2, 0.5^2). Exact densities: :func:`gaussian_pdf`.

    Args:
        n: samples per distribution (>= 1).
        mean_real, mean_fake: the two means.
        std: common standard deviation (> 0).
        seed: non-negative integer for ``numpy.random.default_rng``.

    Returns:
        ``(real, fake)``: two float32 arrays of shape (n, 1).
    """
    n = params.require_int("n", n, minimum=1)
    mean_real = params.require_number("mean_real", mean_real)
    mean_fake = params.require_number("mean_fake", mean_fake)
    std = params.require_number("std", std, minimum=0, exclusive_minimum=True)
    seed = params.require_seed(seed)
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((2, n, 1))
    real = (mean_real + std * noise[0]).astype(np.float32)
    fake = (mean_fake + std * noise[1]).astype(np.float32)
    return real, fake


def gaussian_pdf(x, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
    """Density of N(mean, std^2) at ``x`` (float64 array, shape of ``x``).

    Used for the exact optimal discriminator p_r / (p_r + p_g) of WGAN
    Figure 2 (Arjovsky et al. 2017) with the samples of :func:`gaussians_1d`.
    """
    std = params.require_number("std", std, minimum=0, exclusive_minimum=True)
    mean = params.require_number("mean", mean)
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


# --------------------------------------------------------------------------
# scikit-learn digits (offline image set)
# --------------------------------------------------------------------------


def stratified_split(labels: np.ndarray, validation_fraction: float, seed: int):
    """Seeded train/validation index split, stratified by class (plain when a class is too small).

    ``ceil(validation_fraction * n)`` validation indices (at least 1, at most
    ``n - 1``); the digits' split and the ``QualityScorer``'s held-out set.
    """
    from sklearn.model_selection import train_test_split

    n = len(labels)
    n_val = min(max(int(math.ceil(validation_fraction * n)), 1), n - 1)
    idx = np.arange(n)
    n_classes = len(np.unique(labels))
    stratify = labels if min(n_val, n - n_val) >= n_classes else None
    train, val = train_test_split(idx, test_size=n_val, random_state=seed, shuffle=True, stratify=stratify)
    return np.asarray(train), np.asarray(val)


def digits(
    image_size: int = 8,
    split: str = "train",
    validation_fraction: float = 0.2,
    seed: int = 0,
    batch_size: int | None = None,
    shuffle: bool = True,
    drop_remainder: bool = True,
    return_labels: bool = False,
    repeat: bool = False,
):
    """scikit-learn's 8x8 handwritten digits as a small offline image set.

    ``sklearn.datasets.load_digits`` (1797 images, ships with scikit-learn,
    no download): pixel values 0..16 mapped linearly to [-1, 1] (x / 8 - 1),
    shape (H, W, 1). A CPU-sized stand-in for MNIST in the WGAN / WGAN-GP
    image experiments (WGAN Section 4; WGAN-GP Section 5, and its Figure 5b
    train/validation critic gap on a small digit subset).

    Args:
        image_size: output side; 8 keeps the native size, otherwise bilinear
            resizing (``keras.ops.image.resize``, half-pixel centres) to
            (image_size, image_size) (e.g. 16, 28, 32), clipped to [-1, 1].
        split: ``"train"``, ``"validation"`` or ``"all"``. The split is a
            seeded random split, stratified by digit class, with
            ``ceil(validation_fraction * 1797)`` validation images (360 for
            0.2); train and validation are disjoint and cover all images.
        validation_fraction: in (0, 1).
        seed: seeds the split and the batches' permutations.
        batch_size: ``None`` returns numpy arrays; an int returns batches,
            an :class:`ArrayBatches` (a ``keras.utils.PyDataset``, the same
            on every backend).
        shuffle: (batches only) a seeded permutation per pass.
        drop_remainder: (batches only, single pass) drop the last incomplete
            batch.
        return_labels: also return the int32 labels (arrays ``(x, y)`` or
            batches ``(x, y)``).
        repeat: (batches only) endless, a new permutation every pass.

    Returns:
        float32 images (N, image_size, image_size, 1) [and int32 labels (N,)],
        or an :class:`ArrayBatches` of such batches. With ``split="all"`` and
        numpy output the images are in scikit-learn's order.
    """
    from sklearn.datasets import load_digits

    image_size = params.require_int("image_size", image_size, minimum=1)
    params.require_choice("split", split, _SPLITS_DIGITS)
    vf = params.require_number("validation_fraction", validation_fraction)
    if not 0.0 < vf < 1.0:
        raise ValueError(f"validation_fraction must be in the open interval (0, 1), got {vf!r}.")
    seed = params.require_seed(seed)
    if batch_size is not None:
        batch_size = params.require_int("batch_size", batch_size, minimum=1)

    bunch = load_digits()
    images = bunch.images.astype(np.float32) / 8.0 - 1.0  # 0..16 -> -1..1
    labels = bunch.target.astype(np.int32)
    if split != "all":
        train_idx, val_idx = stratified_split(labels, vf, seed)
        sel = train_idx if split == "train" else val_idx
        images, labels = images[sel], labels[sel]
    images = images[..., None]
    if image_size != images.shape[1]:
        images = keras.ops.image.resize(images, (image_size, image_size), interpolation="bilinear")
        images = np.clip(keras.ops.convert_to_numpy(images), -1.0, 1.0).astype(np.float32)

    if batch_size is None:
        return (images, labels) if return_labels else images

    if batch_size > len(images) and (drop_remainder or repeat):
        raise ValueError(
            f"batch_size={batch_size} is larger than the {len(images)} images of "
            f"split={split!r}: no full batch would be made."
        )
    arrays = (images, labels) if return_labels else images
    return ArrayBatches(arrays, batch_size, seed=seed, shuffle=shuffle, repeat=repeat, drop_remainder=drop_remainder)


# --------------------------------------------------------------------------
# tensorflow-datasets loaders
# --------------------------------------------------------------------------


class DatasetNotFoundError(FileNotFoundError, RuntimeError):
    """A tensorflow-datasets set is not prepared locally and download=False.

    Subclasses both ``FileNotFoundError`` and ``RuntimeError``.
    """


#: The side of each image set's images as stored (digits, then the tensorflow-datasets sets).
NATIVE_SIZES = {"digits": 8, "mnist": 28, "fashion_mnist": 28, "cifar10": 32, "celeb_a": 218, "lsun/bedroom": 256}

#: Default output side per dataset (None = native size).
_DEFAULT_SIZE = {
    "mnist": None,
    "fashion_mnist": None,
    "cifar10": None,
    "celeb_a": 64,
    "lsun/bedroom": 64,
}

#: The side of the images :func:`digits` and :func:`load` return by default.
OUTPUT_SIZES = {name: _DEFAULT_SIZE.get(name) or NATIVE_SIZES[name] for name in NATIVE_SIZES}

#: Shuffle buffer (examples) per dataset; big images get a smaller buffer.
_SHUFFLE_BUFFER = {
    "mnist": 10_000,
    "fashion_mnist": 10_000,
    "cifar10": 10_000,
    "celeb_a": 2_000,
    "lsun/bedroom": 2_000,
}


def _tensorflow():
    """TensorFlow, or an error that says what needs it and what works without it."""
    try:
        import tensorflow as tf
        import tensorflow_datasets  # noqa: F401
    except ImportError as error:
        raise ImportError(
            "wgan_keras.data.load reads tensorflow-datasets, which needs TensorFlow and tensorflow-datasets; "
            f"they are not installed here (Keras backend {keras.backend.backend()!r}: {error}). Install them "
            "(pip install -r requirements.txt), or train on data that needs neither: "
            "wgan_keras.data.digits(), wgan_keras.data.toy_dataset(), or numpy arrays of your own."
        ) from error
    return tf


def _not_found_message(name: str, builder, data_dir) -> str:
    where = builder.data_dir
    env = os.environ.get("TFDS_DATA_DIR")
    return (
        f"tensorflow-datasets set {name!r} is not prepared under {where} "
        f"(data_dir={data_dir!r}, TFDS_DATA_DIR={env!r}) and download=False, "
        "so nothing was downloaded. To get the data: pass data_dir= pointing at "
        "a folder that holds the prepared set (e.g. copied from another "
        "machine), or set the TFDS_DATA_DIR environment variable to it; or run "
        "once with download=True on a machine with internet access (it "
        "prepares the set under data_dir / TFDS_DATA_DIR / "
        "~/tensorflow_datasets); or use Google Colab, which has internet. "
        "For an offline image set use wgan_keras.data.digits()."
        + (
            " Note: celeb_a and lsun need a manual or large download; see the tensorflow-datasets catalog."
            if name in ("celeb_a", "lsun/bedroom")
            else ""
        )
    )


def _to_unit_range(image):
    """uint8 (or float in [0, 255]) image -> float32 in [-1, 1]."""
    tf = _tensorflow()
    image = tf.cast(image, tf.float32) / 127.5 - 1.0
    return tf.clip_by_value(image, -1.0, 1.0)


def _preprocess(name: str, size):
    """Per-example image transform for :func:`load` (returns float [-1, 1])."""
    tf = _tensorflow()

    def celeb_a(image):
        # Central CELEBA_CROP square of the 218x178 image, then resize.
        shape = tf.shape(image)
        off_h = (shape[0] - CELEBA_CROP) // 2
        off_w = (shape[1] - CELEBA_CROP) // 2
        image = tf.image.crop_to_bounding_box(image, off_h, off_w, CELEBA_CROP, CELEBA_CROP)
        image = tf.image.resize(
            tf.cast(image, tf.float32),
            (size, size),
            method="bilinear",
            antialias=True,
        )
        return _to_unit_range(image)

    def lsun(image):
        # Resize the shorter side to `size`, then central size x size crop
        # (torchvision Resize(64) + CenterCrop(64) of the WGAN code).
        shape = tf.cast(tf.shape(image)[:2], tf.float32)
        scale = float(size) / tf.reduce_min(shape)
        new = tf.maximum(tf.cast(tf.round(shape * scale), tf.int32), size)
        image = tf.image.resize(tf.cast(image, tf.float32), new, method="bilinear", antialias=True)
        image = tf.image.resize_with_crop_or_pad(image, size, size)
        return _to_unit_range(image)

    def plain(image):
        if size is not None:
            image = tf.image.resize(
                tf.cast(image, tf.float32),
                (size, size),
                method="bilinear",
                antialias=True,
            )
        return _to_unit_range(image)

    if name == "celeb_a":
        return celeb_a
    if name == "lsun/bedroom":
        return lsun
    return plain


def load(
    name: str,
    split: str = "train",
    batch_size: int = 64,
    image_size: int | None = None,
    data_dir: str | None = None,
    download: bool = False,
    seed: int = 0,
    shuffle: bool = True,
    repeat: bool = False,
    drop_remainder: bool = True,
):
    """Real image sets from tensorflow-datasets, scaled to [-1, 1].

    The image experiments of WGAN (Arjovsky et al. 2017, Section 4: LSUN
    bedrooms 64x64) and WGAN-GP (Gulrajani et al. 2017, Section 5: MNIST,
    CIFAR-10, LSUN bedrooms) and the usual CelebA / Fashion-MNIST baselines
    (Lucic et al. 2018). Labels are dropped (unsupervised GANs).

    Preprocessing:

    * mnist, fashion_mnist (28x28x1), cifar10 (32x32x3): native size unless
      ``image_size`` is given (bilinear, antialiased resize).
    * celeb_a: central :data:`CELEBA_CROP` x :data:`CELEBA_CROP` (108x108)
      crop of the 218x178 image (the face region, as in the DCGAN CelebA
      pipeline), then resize to ``image_size`` (default 64).
    * lsun/bedroom: shorter side resized to ``image_size`` (default 64), then
      a central square crop (torchvision ``Resize(64)`` + ``CenterCrop(64)``
      of the official WGAN code).

    Args:
        name: one of :data:`LOAD_NAMES`.
        split: a tensorflow-datasets split string (``"train"``, ``"test"``,
            ``"train[:10%]"``, ...). CelebA has train/validation/test; LSUN
            has train/validation.
        batch_size: images per batch (>= 1).
        image_size: output side (>= 1) or None for the default above.
        data_dir: folder of prepared tensorflow-datasets sets; None uses
            ``TFDS_DATA_DIR`` or ``~/tensorflow_datasets``.
        download: if False (default) never touch the network: when the set
            cannot be read locally raise :class:`DatasetNotFoundError` at once.
            If True, download and prepare it first (needs internet; CelebA
            and LSUN are large).
        seed: seeds the file order and the shuffle buffer.
        shuffle: shuffle files and examples (seeded).
        repeat: repeat endlessly.
        drop_remainder: drop the last incomplete batch.

    Returns:
        A prefetched ``tf.data.Dataset`` of float32 batches
        (batch_size, H, W, C) in [-1, 1]. It needs TensorFlow (on the JAX
        backend too; ``fit`` accepts it there when TensorFlow is installed).

    Raises:
        ImportError: TensorFlow or tensorflow-datasets is not installed.
        ValueError: unknown name or bad arguments.
        DatasetNotFoundError: (a ``FileNotFoundError`` and ``RuntimeError``)
            when ``download=False`` and the data is not present.
    """
    params.require_choice("name", name, LOAD_NAMES)
    if not isinstance(split, str) or not split:
        raise ValueError(
            "split must be a non-empty tensorflow-datasets split string such as "
            f"'train', 'test' or 'train[:10%]'; got {split!r}."
        )
    batch_size = params.require_int("batch_size", batch_size, minimum=1)
    if image_size is not None:
        image_size = params.require_int("image_size", image_size, minimum=1)
    seed = params.require_seed(seed)

    tf = _tensorflow()
    import tensorflow_datasets as tfds

    if data_dir is None:
        # tfds reads TFDS_DATA_DIR only when it is imported; honour later sets.
        data_dir = os.environ.get("TFDS_DATA_DIR") or None
    else:
        data_dir = os.fspath(data_dir)
    builder = tfds.builder(name, data_dir=data_dir)
    if download:
        builder.download_and_prepare()
    read_config = tfds.ReadConfig(shuffle_seed=seed)
    try:
        ds = builder.as_dataset(split=split, shuffle_files=bool(shuffle), read_config=read_config)
    except (AssertionError, FileNotFoundError, tfds.core.registered.DatasetNotFoundError) as error:
        # tensorflow-datasets signals "not prepared here" with an AssertionError.
        raise DatasetNotFoundError(_not_found_message(name, builder, data_dir)) from error
    size = image_size if image_size is not None else _DEFAULT_SIZE[name]
    fn = _preprocess(name, size)
    ds = ds.map(lambda ex: ex["image"], num_parallel_calls=tf.data.AUTOTUNE)
    big = name in ("celeb_a", "lsun/bedroom")
    if big:  # shrink to the output size before the shuffle buffer
        ds = ds.map(fn, num_parallel_calls=tf.data.AUTOTUNE)
    if shuffle:
        ds = ds.shuffle(_SHUFFLE_BUFFER[name], seed=seed, reshuffle_each_iteration=True)
    if not big:  # small uint8 images are shuffled raw, converted after
        ds = ds.map(fn, num_parallel_calls=tf.data.AUTOTUNE)
    if repeat:
        ds = ds.repeat()
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    return ds.prefetch(tf.data.AUTOTUNE)
