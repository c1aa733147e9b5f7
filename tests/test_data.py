"""Tests for wgan_keras.data (toy sets, WGAN examples, digits, tfds loaders)."""

import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import pytest
from conftest import needs_tensorflow

from wgan_keras import data


def _take(ds, k):
    """The first ``k`` batches of a PyDataset or a tf.data.Dataset, as numpy."""
    if isinstance(ds, keras.utils.PyDataset):
        count = k if ds.num_batches is None else min(k, ds.num_batches)
        return [np.asarray(ds[i]) for i in range(count)]
    return [b.numpy() for b in ds.take(k)]


def _sorted_rows(a):
    a = a.reshape(len(a), -1)
    return a[np.lexsort(a.T[::-1])]


# ----------------------------------------------------------------- toy sets


@pytest.mark.parametrize("name", data.TOY_NAMES)
def test_toy_shape_dtype_and_seeding(name):
    a = data.toy(name, 500, seed=3)
    assert a.shape == (500, 2) and a.dtype == np.float32
    assert np.all(np.isfinite(a))
    np.testing.assert_array_equal(a, data.toy(name, 500, seed=3))
    assert not np.array_equal(a, data.toy(name, 500, seed=4))


@pytest.mark.parametrize("name,k", [("8gaussians", 8), ("25gaussians", 25)])
def test_toy_mixture_points_near_centres(name, k):
    centres, std = data.toy_modes(name)
    assert centres.shape == (k, 2)
    pts = data.toy(name, 4000, seed=0)
    d = np.linalg.norm(pts[:, None, :] - centres[None], axis=-1)
    nearest = d.argmin(1)
    assert np.all(d.min(1) < 5 * std)
    assert set(nearest.tolist()) == set(range(k))  # every centre gets points
    # Per-coordinate spread around the centre matches the scaled std.
    resid = pts - centres[nearest]
    assert abs(resid.std() / std - 1) < 0.1


def test_toy_modes_values():
    c8, s8 = data.toy_modes("8gaussians")
    np.testing.assert_allclose(np.linalg.norm(c8, axis=1), 2 / 1.414)
    assert s8 == pytest.approx(0.02 / 1.414)
    c25, s25 = data.toy_modes("25gaussians")
    np.testing.assert_allclose(np.unique(c25[:, 0]), np.arange(-4, 5, 2) / 2.828)
    assert s25 == pytest.approx(0.05 / 2.828)
    with pytest.raises(ValueError, match="swissroll"):
        data.toy_modes("swissroll")
    with pytest.raises(ValueError, match="name"):
        data.toy_modes("moons")


def test_swissroll_matches_sklearn():
    from sklearn.datasets import make_swiss_roll

    ref = make_swiss_roll(2000, noise=0.25, random_state=0)[0][:, [0, 2]] / 7.5
    a = data.toy("swissroll", 2000, seed=0)
    np.testing.assert_allclose(a, ref, rtol=1e-6, atol=1e-6)
    # The endless stream (closed form) has the same extent.
    b = np.concatenate(_take(data.toy_dataset("swissroll", 500, seed=0), 4))
    q = [0.0, 0.05, 0.5, 0.95, 1.0]
    np.testing.assert_allclose(np.quantile(b, q, axis=0), np.quantile(ref, q, axis=0), atol=0.12)


@pytest.mark.parametrize("name", data.TOY_NAMES)
def test_toy_dataset_reproducible_and_resumable(name):
    ds = data.toy_dataset(name, batch_size=64, seed=5)
    assert isinstance(ds, keras.utils.PyDataset) and ds.num_batches is None  # endless
    first = _take(ds, 6)
    assert all(b.shape == (64, 2) and b.dtype == np.float32 for b in first)
    for i in range(5):
        assert not np.array_equal(first[i], first[i + 1])
    again = _take(data.toy_dataset(name, batch_size=64, seed=5), 6)
    for x, y in zip(first, again):
        np.testing.assert_array_equal(x, y)
    resumed = _take(data.toy_dataset(name, batch_size=64, seed=5, start=4), 2)
    np.testing.assert_array_equal(resumed[0], first[4])
    np.testing.assert_array_equal(resumed[1], first[5])
    other = _take(data.toy_dataset(name, batch_size=64, seed=6), 1)
    assert not np.array_equal(other[0], first[0])


def test_toy_dataset_mixture_near_centres():
    centres, std = data.toy_modes("8gaussians")
    pts = np.concatenate(_take(data.toy_dataset("8gaussians", 256, seed=0), 8))
    d = np.linalg.norm(pts[:, None, :] - centres[None], axis=-1)
    assert np.all(d.min(1) < 5 * std)
    assert len(set(d.argmin(1).tolist())) == 8


# ------------------------------------------------------- WGAN examples


def test_parallel_lines():
    p0, pt = data.parallel_lines(0.7, 300, seed=1)
    assert p0.shape == pt.shape == (300, 2)
    assert p0.dtype == pt.dtype == np.float32
    assert np.all(p0[:, 0] == 0.0)
    assert np.all(pt[:, 0] == np.float32(0.7))
    for a in (p0, pt):
        assert a[:, 1].min() >= 0.0 and a[:, 1].max() <= 1.0
    q0, qt = data.parallel_lines(0.7, 300, seed=1)
    np.testing.assert_array_equal(p0, q0)
    np.testing.assert_array_equal(pt, qt)
    assert not np.array_equal(p0, data.parallel_lines(0.7, 300, seed=2)[0])


def test_parallel_lines_distances():
    d = data.parallel_lines_distances(-0.5)
    assert d["EM"] == 0.5
    assert d["JS"] == pytest.approx(math.log(2))
    assert d["KL"] == math.inf
    assert d["TV"] == 1.0
    assert data.parallel_lines_distances(0.0) == {"EM": 0.0, "JS": 0.0, "KL": 0.0, "TV": 0.0}


def test_gaussians_1d_and_pdf():
    real, fake = data.gaussians_1d(2000, seed=0)
    assert real.shape == fake.shape == (2000, 1)
    assert real.dtype == np.float32
    assert real.mean() < fake.mean()
    assert abs(real.mean() + 2) < 0.1 and abs(fake.mean() - 2) < 0.1
    r2, _ = data.gaussians_1d(2000, seed=0)
    np.testing.assert_array_equal(real, r2)
    x = np.linspace(-10, 10, 20001)
    p = data.gaussian_pdf(x, 1.0, 0.5)
    assert np.sum(p) * (x[1] - x[0]) == pytest.approx(1.0, abs=1e-6)
    assert data.gaussian_pdf(0.0, 0.0, 1.0) == pytest.approx(1 / math.sqrt(2 * math.pi))


# ------------------------------------------------------------------ digits


def test_digits_arrays_range_and_split():
    x_all = data.digits(split="all")
    assert x_all.shape == (1797, 8, 8, 1) and x_all.dtype == np.float32
    assert x_all.min() == -1.0 and x_all.max() == 1.0
    xtr, ytr = data.digits(split="train", return_labels=True)
    xva, yva = data.digits(split="validation", return_labels=True)
    assert len(xtr) + len(xva) == 1797 and len(xva) == 360
    assert ytr.dtype == np.int32 and set(yva.tolist()) == set(range(10))
    # Disjoint and covering: train + validation is exactly the full set.
    np.testing.assert_array_equal(_sorted_rows(np.concatenate([xtr, xva])), _sorted_rows(x_all))
    np.testing.assert_array_equal(xtr, data.digits(split="train"))
    assert not np.array_equal(xtr, data.digits(split="train", seed=1))
    assert len(data.digits(split="validation", validation_fraction=0.5)) == 899


def test_digits_resize_and_dataset():
    x = data.digits(image_size=16, split="validation")
    assert x.shape == (360, 16, 16, 1)
    assert x.min() >= -1.0 and x.max() <= 1.0
    ds = data.digits(image_size=28, batch_size=32, split="validation")
    batches = _take(ds, 100)
    assert len(batches) == 360 // 32
    assert all(b.shape == (32, 28, 28, 1) and b.dtype == np.float32 for b in batches)
    again = _take(data.digits(image_size=28, batch_size=32, split="validation"), 2)
    np.testing.assert_array_equal(batches[0], again[0])
    # One pass is a permutation of the images; the next pass another one.
    one_pass = np.concatenate(_take(data.digits(batch_size=40, split="validation"), 9))
    np.testing.assert_array_equal(_sorted_rows(one_pass), _sorted_rows(data.digits(split="validation")))
    ds = data.digits(batch_size=50, split="validation", repeat=True, return_labels=True)
    xb, yb = ds[20]
    assert xb.shape == (50, 8, 8, 1) and yb.shape == (50,)
    assert not np.array_equal(ds[0][0], ds[7][0])  # pass 1 starts at item 7, in another order
    with_rest = data.digits(batch_size=100, split="validation", shuffle=False, drop_remainder=False)
    assert [len(b) for b in _take(with_rest, 10)] == [100, 100, 100, 60]


def test_digits_resized_the_same_on_every_backend():
    """Bilinear upsampling with half-pixel centres: a closed form on one image row."""
    x = data.digits(image_size=16, split="all")
    native = data.digits(split="all")
    # Pixel (i, j) of the 16x16 image samples the 8x8 image at ((i + 0.5) / 2 - 0.5, ...):
    # the corner pixel (0, 0) lies outside the first centre and keeps the corner value.
    np.testing.assert_allclose(x[:, 0, 0, 0], native[:, 0, 0, 0], atol=1e-6)
    expected = 0.75 * native[:, 0, 0, 0] + 0.25 * native[:, 0, 1, 0]
    np.testing.assert_allclose(x[:, 0, 1, 0], expected, atol=1e-5)


# ------------------------------------------------------------ tfds loaders


@needs_tensorflow
@pytest.mark.parametrize(
    "name,shape",
    [
        ("mnist", (28, 28, 1)),
        ("fashion_mnist", (28, 28, 1)),
        ("cifar10", (32, 32, 3)),
        ("celeb_a", (64, 64, 3)),
        ("lsun/bedroom", (64, 64, 3)),
    ],
)
def test_load_mocked(name, shape):
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=12):
        ds = data.load(name, batch_size=4, seed=1)
        batches = _take(ds, 10)
    assert len(batches) == 3
    for b in batches:
        assert b.shape == (4,) + shape and b.dtype == np.float32
        assert b.min() >= -1.0 and b.max() <= 1.0
    assert batches[0].min() < -0.5 and batches[0].max() > 0.5


@needs_tensorflow
def test_load_mocked_image_size_and_repeat():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=5):
        ds = data.load("mnist", batch_size=4, image_size=32, repeat=True)
        batches = _take(ds, 4)
        ds2 = data.load("celeb_a", batch_size=2, image_size=16)
        b2 = _take(ds2, 1)[0]
        c1 = _take(data.load("cifar10", batch_size=4, seed=3), 1)[0]
        c2 = _take(data.load("cifar10", batch_size=4, seed=3), 1)[0]
    np.testing.assert_array_equal(c1, c2)
    assert len(batches) == 4 and batches[0].shape == (4, 32, 32, 1)
    assert b2.shape == (2, 16, 16, 3)


@needs_tensorflow
def test_load_offline_fails_fast(tmp_path, monkeypatch):
    import tensorflow_datasets as tfds

    def no_download(*args, **kwargs):
        raise AssertionError("download_and_prepare must not be called")

    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", no_download)
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load("mnist", data_dir=str(tmp_path), download=False)
    assert isinstance(info.value, FileNotFoundError)
    assert isinstance(info.value, RuntimeError)
    msg = str(info.value)
    assert "data_dir" in msg and "TFDS_DATA_DIR" in msg and "download=True" in msg
    assert str(tmp_path) in msg


@needs_tensorflow
def test_load_offline_honours_tfds_data_dir_env(tmp_path, monkeypatch):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="TFDS_DATA_DIR") as info:
        data.load("cifar10")
    assert str(tmp_path) in str(info.value)


# ----------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    "call,word",
    [
        (lambda: data.toy("moons", 10), "name"),
        (lambda: data.toy("8gaussians", 0), "n"),
        (lambda: data.toy("8gaussians", 2.5), "n"),
        (lambda: data.toy("8gaussians", 10, seed=-1), "seed"),
        (lambda: data.toy_dataset("moons"), "name"),
        (lambda: data.toy_dataset("8gaussians", batch_size=0), "batch_size"),
        (lambda: data.toy_dataset("8gaussians", start=-1), "start"),
        (lambda: data.parallel_lines(float("nan"), 5), "theta"),
        (lambda: data.parallel_lines(1.0, 0), "n"),
        (lambda: data.gaussians_1d(10, std=0.0), "std"),
        (lambda: data.digits(split="test"), "split"),
        (lambda: data.digits(validation_fraction=0.0), "validation_fraction"),
        (lambda: data.digits(validation_fraction=1.0), "validation_fraction"),
        (lambda: data.digits(batch_size=0), "batch_size"),
        (lambda: data.digits(image_size=0), "image_size"),
        (lambda: data.digits(batch_size=5000, split="validation"), "batch_size"),
        (lambda: data.load("imagenet"), "name"),
        (lambda: data.load("mnist", batch_size=0), "batch_size"),
        (lambda: data.load("mnist", split=""), "split"),
        (lambda: data.load("mnist", image_size=-3), "image_size"),
    ],
)
def test_bad_arguments(call, word):
    with pytest.raises(ValueError, match=rf"\b{word}\b"):
        call()


def test_load_without_tensorflow_names_what_works_instead(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tensorflow(name, *args, **kwargs):
        if name.split(".")[0] in ("tensorflow", "tensorflow_datasets"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorflow)
    with pytest.raises(ImportError, match="digits") as info:
        data.load("mnist")
    assert keras.backend.backend() in str(info.value) and "toy_dataset" in str(info.value)


def test_unknown_load_name_lists_allowed():
    with pytest.raises(ValueError) as info:
        data.load("celeba")
    for allowed in data.LOAD_NAMES:
        assert allowed in str(info.value)


def test_the_cli_draws_toy_data_as_a_stream_in_constant_memory():
    # 10^8 iterations x 5 x 256 samples would be 954 GiB as one pool.
    import argparse

    from wgan_keras import train

    args = argparse.Namespace(data="8gaussians", steps_per_epoch=10**8, n_critic=5, batch_size=256, seed=3)
    real, reference = train.real_data(args)
    assert isinstance(real, data.ToyBatches) and real.num_batches is None
    np.testing.assert_array_equal(real[10**9], data.toy_dataset("8gaussians", 256, seed=3)[10**9])
    assert real[0].shape == (256, 2) and reference.shape == (2500, 2)
