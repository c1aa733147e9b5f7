"""Metrics: exact W1, sliced W1, VEEGAN/PacGAN mode coverage, the digits
QualityScorer (its cache included) and IS / FID with InceptionV3.

InceptionV3 at 299x299 is slow on a 2-core CPU, so it only sees 3 tiny
images with random weights (weights=None); the ImageNet weights are never
downloaded here.
"""

import itertools
import math
import random
import socket

import keras
import numpy as np
import pytest
import scipy.stats

from wgan_keras import data, metrics


# ----------------------------------------------------------------- W1
def test_w1_translated_copy_is_the_shift_norm():
    x = np.random.default_rng(0).standard_normal((300, 2))
    shift = np.array([0.3, -0.4])
    assert metrics.wasserstein1(x, x + shift) == pytest.approx(0.5, abs=1e-6)
    assert metrics.wasserstein1(x, x) == 0.0


def test_w1_parallel_lines_same_z_is_theta():
    # WGAN Example 1 with one shared Z: the identity matching is optimal.
    z = np.random.default_rng(1).random(400)
    for theta in (0.7, -1.3, 0.0):
        p0 = np.stack([np.zeros_like(z), z], axis=1)
        p_theta = np.stack([np.full_like(z, theta), z], axis=1)
        assert metrics.wasserstein1(p0, p_theta) == pytest.approx(abs(theta), abs=1e-6)


def test_w1_parallel_lines_independent_z_is_close_to_theta():
    theta = 0.5
    p0, p_theta = data.parallel_lines(theta, 500, seed=0)
    theta = float(p_theta[0, 0])  # float32 value
    w1 = metrics.wasserstein1(p0, p_theta)
    # Every pair costs >= |theta|; the sorted-Z matching costs
    # mean sqrt(theta^2 + dz^2) <= |theta| + W1_1D(Z, Z').
    dz = np.sort(p0[:, 1].astype(float)) - np.sort(p_theta[:, 1].astype(float))
    upper = float(np.mean(np.sqrt(theta**2 + dz**2)))
    assert abs(theta) - 1e-9 <= w1 <= upper + 1e-9
    assert upper - abs(theta) < 0.01  # the 1-D sorting term is small here


def test_w1_hand_computed_three_points():
    x = np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 0.0]])
    y = np.array([[0.0, 0.0], [5.0, 1.0], [0.0, 2.0]])
    # (0,0)->(0,0): 0, (0,1)->(0,2): 1, (5,0)->(5,1): 1 -> mean 2/3.
    brute = min(np.mean([np.linalg.norm(x[i] - y[p[i]]) for i in range(3)]) for p in itertools.permutations(range(3)))
    assert brute == pytest.approx(2 / 3)
    assert metrics.wasserstein1(x, y) == pytest.approx(2 / 3, abs=1e-12)


def test_w1_unequal_sizes_with_the_transport_lp():
    # One point split half and half: (3 + 4) / 2.
    assert metrics.wasserstein1([[0.0, 0.0]], [[3.0, 0.0], [0.0, 4.0]]) == pytest.approx(3.5, abs=1e-9)
    # Collinear 2 vs 3 points: the 1-D value (integral of |F - G|) is 1/6.
    a = np.array([[0.0, 0.0], [1.0, 0.0]])
    b = np.array([[0.0, 0.0], [0.5, 0.0], [1.0, 0.0]])
    assert metrics.wasserstein1(a, b) == pytest.approx(1 / 6, abs=1e-9)
    assert scipy.stats.wasserstein_distance(a[:, 0], b[:, 0]) == pytest.approx(1 / 6)
    # Replicating points (exact assignment) agrees with the LP.
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((3, 2)), rng.standard_normal((6, 2))
    assert metrics.transport._w1_replicated(a, b) == pytest.approx(metrics.transport._w1_linprog(a, b), abs=1e-9)


def test_w1_too_large_unequal_sizes_ask_to_subsample():
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal((600, 2)), rng.standard_normal((601, 2))
    with pytest.raises(ValueError, match="ubsample"):
        metrics.wasserstein1(x, y)


def test_w1_repeated_points_are_merged_exactly():
    y = data.toy("8gaussians", 2500, seed=1)
    # A generator collapsed onto one point: every mass moves to it.
    collapsed = np.zeros((2500, 2))
    assert metrics.wasserstein1(collapsed, y) == pytest.approx(np.linalg.norm(y, axis=1).mean(), abs=1e-9)
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 2))[rng.integers(0, 4, 40)]  # 40 points, 4 distinct
    z = rng.standard_normal((40, 2))
    assert metrics.wasserstein1(x, z) == pytest.approx(metrics.transport._w1_assignment(x, z), abs=1e-9)


def test_w1_one_dimensional_and_images():
    rng = np.random.default_rng(3)
    u, v = rng.standard_normal(50), rng.standard_normal(70) + 1.0
    assert metrics.wasserstein1(u, v) == pytest.approx(scipy.stats.wasserstein_distance(u, v), abs=1e-12)
    assert metrics.wasserstein1(u[:, None], v) == pytest.approx(scipy.stats.wasserstein_distance(u, v), abs=1e-12)
    images = rng.uniform(-1, 1, (6, 2, 2, 1))
    assert metrics.wasserstein1(images, images + 1.0) == pytest.approx(2.0, abs=1e-6)  # ||(1, 1, 1, 1)||


def test_w1_2500_points_completes():
    x = data.toy("8gaussians", 2500, seed=0)
    y = data.toy("8gaussians", 2500, seed=1)
    w1 = metrics.wasserstein1(x, y)
    assert 0.0 < w1 < 0.1
    assert metrics.sliced_wasserstein(x, y) <= w1 + 1e-9


def test_w1_and_sliced_bad_input():
    good = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(3, 3\)"):
        metrics.wasserstein1(good, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="empty"):
        metrics.wasserstein1(np.zeros((0, 2)), good)
    with pytest.raises(ValueError, match="NaN"):
        metrics.wasserstein1(good, np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match="n_projections"):
        metrics.sliced_wasserstein(good, good, n_projections=0)
    with pytest.raises(ValueError, match="seed"):
        metrics.sliced_wasserstein(good, good, seed=-1)


# ----------------------------------------------------------------- sliced W1
def test_sliced_w1_of_a_translated_copy():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((200, 2))
    shift = np.array([0.3, 0.4])
    # Each projection moves by <shift, u>: the estimate is mean |<shift, u>|
    # over the (documented) seeded directions, and 2/pi ||shift|| on average.
    u = np.random.default_rng(7).standard_normal((64, 2))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    expected = float(np.mean(np.abs(u @ shift)))
    assert metrics.sliced_wasserstein(x, x + shift, n_projections=64, seed=7) == pytest.approx(expected, abs=1e-9)
    many = metrics.sliced_wasserstein(x, x + shift, n_projections=4000, seed=0)
    assert many == pytest.approx(0.5 * 2 / math.pi, rel=0.03)


def test_sliced_w1_unequal_sizes_and_lower_bound():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((40, 3)), rng.standard_normal((40, 3)) + 0.5
    assert metrics.sliced_wasserstein(x, x) == 0.0
    assert 0.0 < metrics.sliced_wasserstein(x, y) <= metrics.wasserstein1(x, y)
    z = rng.standard_normal((25, 3)) + 0.5
    assert 0.0 < metrics.sliced_wasserstein(x, z, n_projections=8) < 2.0
    images = rng.uniform(-1, 1, (10, 4, 4, 3))
    assert metrics.sliced_wasserstein(images, images) == 0.0


# ----------------------------------------------------------------- modes
@pytest.fixture(scope="module")
def ring():
    return data.toy_modes("8gaussians")


def test_modes_all_centres(ring):
    centers, std = ring
    out = metrics.mode_coverage(np.repeat(centers, 10, axis=0), centers, std)
    assert out["modes"] == 8 and out["n_modes"] == 8
    assert out["high_quality"] == 1.0
    assert out["reverse_kl"] == pytest.approx(0.0, abs=1e-12)
    assert out["counts"].tolist() == [10] * 8


def test_modes_collapsed_to_one_centre(ring):
    centers, std = ring
    out = metrics.mode_coverage(np.repeat(centers[2:3], 50, axis=0), centers, std)
    assert out["modes"] == 1 and out["high_quality"] == 1.0
    assert out["reverse_kl"] == pytest.approx(math.log(8), abs=1e-9)  # no epsilon needed: 0 log 0 = 0
    assert out["counts"][2] == 50


def test_modes_far_away_samples(ring):
    centers, std = ring
    out = metrics.mode_coverage(np.full((20, 2), 10.0), centers, std)
    assert out["modes"] == 0 and out["high_quality"] == 0.0
    assert math.isnan(out["reverse_kl"])


def test_modes_threshold_boundary_and_counts(ring):
    centers, std = ring
    inside = centers[:4] + [2.9 * std, 0.0]
    outside = centers[4:] + [0.0, 3.1 * std]
    out = metrics.mode_coverage(np.concatenate([inside, outside]), centers, std)
    assert out["modes"] == 4 and out["high_quality"] == 0.5
    assert out["reverse_kl"] == pytest.approx(math.log(2), abs=1e-9)
    wider = metrics.mode_coverage(np.concatenate([inside, outside]), centers, std, threshold=3.5)
    assert wider["modes"] == 8
    per_mode = metrics.mode_coverage(outside, centers, np.full(8, 2 * std))
    assert per_mode["modes"] == 4


def test_modes_bad_input(ring):
    centers, std = ring
    with pytest.raises(ValueError, match="threshold"):
        metrics.mode_coverage(centers, centers, std, threshold=0)
    with pytest.raises(ValueError, match="std"):
        metrics.mode_coverage(centers, centers, -1.0)
    with pytest.raises(ValueError, match="std"):
        metrics.mode_coverage(centers, centers, [std, std])
    with pytest.raises(ValueError, match="samples"):
        metrics.mode_coverage(np.zeros((0, 2)), centers, std)
    with pytest.raises(ValueError, match="NaN"):
        metrics.mode_coverage(np.full((3, 2), np.nan), centers, std)
    with pytest.raises(ValueError, match="dimension"):
        metrics.mode_coverage(np.zeros((3, 3)), centers, std)


# ----------------------------------------------------------------- Frechet distance
def test_frechet_features_matches_the_sqrtm_formula():
    rng = np.random.default_rng(6)
    for n_a, n_b in ((300, 200), (5, 4)):  # full-rank and rank-deficient covariances
        fa = rng.standard_normal((n_a, 16))
        fb = 1.3 * rng.standard_normal((n_b, 16)) + 0.1
        stats = [fa.mean(0), np.cov(fa, rowvar=False), fb.mean(0), np.cov(fb, rowvar=False)]
        exact = metrics.frechet_distance_features(fa, fb)
        assert exact == pytest.approx(metrics.frechet_distance_gaussians(*stats), rel=1e-6)
    assert metrics.frechet_distance_features(fa, fa) == pytest.approx(0.0, abs=1e-9)
    # Two Gaussians with equal covariance: the squared mean distance.
    g = rng.standard_normal((50, 3))
    assert metrics.frechet_distance_features(g, g + [1.0, 2.0, 2.0]) == pytest.approx(9.0, abs=1e-9)
    with pytest.raises(ValueError, match="at least 2"):
        metrics.frechet_distance_features(fa[:1], fb)


# ----------------------------------------------------------------- QualityScorer
@pytest.fixture(scope="module")
def scorer_and_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("quality_cache")
    return metrics.QualityScorer.for_digits(seed=0, image_size=8, cache_dir=cache), cache


@pytest.fixture(scope="module")
def digit_splits():
    return data.digits(split="train", seed=0), data.digits(split="validation", seed=0, return_labels=True)


def test_scorer_trained_and_held_out_accuracy(scorer_and_cache, digit_splits):
    scorer, _ = scorer_and_cache
    assert not scorer.loaded_from_cache
    assert scorer.accuracy >= 0.95
    x_val, y_val = digit_splits[1]
    # The held-out images are data.digits(split="validation"): same accuracy.
    assert np.mean(np.argmax(scorer.predict(x_val), axis=1) == y_val) == pytest.approx(scorer.accuracy)
    assert scorer.features(x_val[:5]).shape == (5, 64)


def test_scorer_separates_real_from_noise_and_collapse(scorer_and_cache, digit_splits):
    scorer, _ = scorer_and_cache
    train, (held_out, _) = digit_splits
    noise = np.random.default_rng(0).uniform(-1, 1, held_out.shape).astype("float32")
    repeated = np.repeat(held_out[:1], len(held_out), axis=0)
    real = scorer.evaluate(held_out, train)
    fake = scorer.evaluate(noise, train)
    collapsed = scorer.evaluate(repeated, train)
    assert set(real) == {"fd", "score", "class_coverage", "confidence"}
    assert real["fd"] * 20 < fake["fd"] and real["fd"] * 20 < collapsed["fd"]
    assert real["fd"] == pytest.approx(scorer.frechet_distance(held_out, train))
    assert real["score"] > 8.0 > fake["score"]
    assert collapsed["score"] == pytest.approx(1.0, abs=0.05)
    assert real["class_coverage"] == 1.0 and collapsed["class_coverage"] == pytest.approx(0.1)
    assert real["confidence"] > 0.9
    assert scorer.classifier_score(held_out)["score"] == pytest.approx(real["score"])


def test_scorer_second_construction_loads_from_cache(scorer_and_cache, digit_splits, monkeypatch):
    scorer, cache = scorer_and_cache

    def no_training(*args, **kwargs):
        raise AssertionError("the cached weights should have been loaded")

    monkeypatch.setattr(metrics.QualityScorer, "_train", staticmethod(no_training))
    keras.utils.set_random_seed(11)
    state = (random.random(), np.random.rand())
    keras.utils.set_random_seed(11)
    again = metrics.QualityScorer.for_digits(seed=0, image_size=8, cache_dir=cache)
    assert (random.random(), np.random.rand()) == state  # the caller's RNG state is left alone
    assert again.loaded_from_cache and again.accuracy == scorer.accuracy
    x = digit_splits[1][0][:20]
    np.testing.assert_array_equal(again.features(x), scorer.features(x))
    # Other data or settings -> another cache entry, trained again.
    with pytest.raises(AssertionError, match="cached"):
        metrics.QualityScorer.for_digits(seed=1, image_size=8, cache_dir=cache)
    images, labels = data.digits(split="all", return_labels=True)
    settings = {"seed": 0}
    key = metrics.quality._cache_key(images, labels, settings)
    assert key != metrics.quality._cache_key(images, labels, {"seed": 1})
    assert key != metrics.quality._cache_key(images[::-1], labels[::-1], settings)


def test_scorer_bad_input(scorer_and_cache):
    scorer, _ = scorer_and_cache
    images, labels = data.digits(split="all", return_labels=True)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        metrics.QualityScorer.fit((images + 1) * 8, labels, cache_dir=False)
    with pytest.raises(ValueError, match="labels"):
        metrics.QualityScorer.fit(images, labels[:-1], cache_dir=False)
    with pytest.raises(ValueError, match="name"):
        metrics.QualityScorer.fit(images, labels, cache_dir=False, name="../x")
    with pytest.raises(ValueError, match=r"\(8, 8, 1\)"):
        scorer.features(np.zeros((2, 16, 16, 1), "float32"))
    with pytest.raises(ValueError, match="NaN"):
        scorer.features(np.full((2, 8, 8, 1), np.nan, "float32"))
    with pytest.raises(ValueError, match="at least 2"):
        scorer.frechet_distance(images[:1], images[:10])


# ----------------------------------------------------------------- Inception
def test_inception_score_and_fid_with_random_weights():
    x = data.digits(split="validation")[:3]  # grey 8x8 -> RGB 299x299
    rgb = np.random.default_rng(0).uniform(-1, 1, (3, 8, 8, 3)).astype("float32")
    mean, std = metrics.inception_score(x, splits=1, batch_size=3, weights=None)
    assert math.isfinite(mean) and mean >= 1.0 - 1e-9 and std == 0.0
    assert metrics.frechet_inception_distance(x, x, batch_size=3, weights=None) == pytest.approx(0.0, abs=1e-6)
    fid = metrics.frechet_inception_distance(x, rgb, batch_size=2, weights=None)
    assert math.isfinite(fid) and fid > 0.0
    assert len(metrics.inception._INCEPTION_MODELS) == 1  # built once, then reused
    with pytest.raises(ValueError, match="splits"):
        metrics.inception_score(x, splits=4, weights=None)
    with pytest.raises(ValueError, match="at least 2"):
        metrics.frechet_inception_distance(x[:1], x, weights=None)
    with pytest.raises(ValueError, match="channels"):
        metrics.inception_score(np.zeros((2, 8, 8, 2), "float32"), weights=None)


def test_inception_without_imagenet_weights_fails_before_any_download(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def forbidden(*args, **kwargs):
        raise AssertionError("no model build or network access expected")

    monkeypatch.setattr(keras.applications, "InceptionV3", forbidden)
    monkeypatch.setattr(keras.utils, "get_file", forbidden)
    monkeypatch.setattr(socket.socket, "connect", forbidden)
    images = np.zeros((2, 8, 8, 3), "float32")
    with pytest.raises(RuntimeError, match=metrics.INCEPTION_WEIGHTS_FILE):
        metrics.inception_score(images)
    with pytest.raises(RuntimeError, match="weights="):
        metrics.frechet_inception_distance(images, images)
    with pytest.raises(ValueError, match="weights"):
        metrics.inception_score(images, weights=str(tmp_path / "missing.h5"))
    with pytest.raises(ValueError, match="weights"):
        metrics.inception_score(images, weights="cifar")
