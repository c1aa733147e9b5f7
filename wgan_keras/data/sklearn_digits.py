"""scikit-learn's 8x8 handwritten digits: a small, offline image set.

:func:`digits` serves the image experiments on a CPU and in tests (e.g. the
critic over-fitting study of WGAN-GP Figure 5b on a small subset);
:func:`stratified_split` is its seeded train/validation split, also the
``QualityScorer``'s held-out set.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from wgan_keras import params
from wgan_keras.arrays import to_numpy
from wgan_keras.data.batching import ArrayBatches

_SPLITS_DIGITS = ("train", "validation", "all")
_N_DIGITS = 1797


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
        images = np.clip(to_numpy(images, "images"), -1.0, 1.0).astype(np.float32)

    if batch_size is None:
        return (images, labels) if return_labels else images

    if batch_size > len(images) and (drop_remainder or repeat):
        raise ValueError(
            f"batch_size={batch_size} is larger than the {len(images)} images of "
            f"split={split!r}: no full batch would be made."
        )
    arrays = (images, labels) if return_labels else images
    return ArrayBatches(arrays, batch_size, seed=seed, shuffle=shuffle, repeat=repeat, drop_remainder=drop_remainder)
