"""Real image sets from tensorflow-datasets, scaled to [-1, 1].

:func:`load` reads MNIST, Fashion-MNIST, CIFAR-10, CelebA and LSUN bedrooms
(:data:`LOAD_NAMES`) for the image experiments of WGAN (Section 4) and
WGAN-GP (Section 5); :data:`NATIVE_SIZES` and :data:`OUTPUT_SIZES` give the
sides of every image set; a set that is not prepared locally raises
:class:`DatasetNotFoundError` rather than downloading.
"""

from __future__ import annotations

import os

import keras

from wgan_keras import params

#: Names accepted by :func:`load` (tensorflow-datasets names).
LOAD_NAMES = ("mnist", "fashion_mnist", "cifar10", "celeb_a", "lsun/bedroom")

#: Side of the central square crop applied to CelebA's 218x178 (H x W)
#: images before resizing: 108x108 at offset (55, 35), the crop of the
#: DCGAN-tensorflow CelebA pipeline (carpedm20) that the WGAN / WGAN-GP
#: 64x64 CelebA experiments follow; it keeps the face and drops most of
#: the background.
CELEBA_CROP = 108


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

    def resized(image, shape):
        # Bilinear, antialiased, on float pixels (still in [0, 255]).
        return tf.image.resize(tf.cast(image, tf.float32), shape, method="bilinear", antialias=True)

    def celeb_a(image):
        # Central CELEBA_CROP square of the 218x178 image, then resize.
        shape = tf.shape(image)
        off_h = (shape[0] - CELEBA_CROP) // 2
        off_w = (shape[1] - CELEBA_CROP) // 2
        image = tf.image.crop_to_bounding_box(image, off_h, off_w, CELEBA_CROP, CELEBA_CROP)
        return _to_unit_range(resized(image, (size, size)))

    def lsun(image):
        # Resize the shorter side to `size`, then central size x size crop
        # (torchvision Resize(64) + CenterCrop(64) of the WGAN code).
        shape = tf.cast(tf.shape(image)[:2], tf.float32)
        scale = float(size) / tf.reduce_min(shape)
        new = tf.maximum(tf.cast(tf.round(shape * scale), tf.int32), size)
        return _to_unit_range(tf.image.resize_with_crop_or_pad(resized(image, new), size, size))

    def plain(image):
        if size is not None:
            image = resized(image, (size, size))
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
