"""Evaluation metrics for the WGAN / WGAN-GP reproductions.

Distances between samples
    * :func:`wasserstein1` -- the exact Wasserstein-1 (earth mover) distance
      between two empirical distributions (optimal transport solved exactly:
      an assignment problem for equal sizes, the transport linear program
      otherwise). WGAN (Arjovsky et al. 2017), Section 2, Eq. (1).
    * :func:`sliced_wasserstein` -- the sliced W1 (mean of 1-D W1 over random
      directions; Rabin et al. 2011, Bonneel et al. 2015) for images and
      other high-dimensional samples.

Mode coverage on the 2-D toy mixtures
    * :func:`mode_coverage` -- modes captured, high-quality fraction and the
      reverse KL to the uniform mode histogram, as defined by VEEGAN
      (Srivastava et al. 2017) and PacGAN (Lin et al. 2018).

Image quality without any download
    * :class:`QualityScorer` -- a small classifier trained (deterministically,
      cached) on real labelled images; gives an Inception-Score-style
      ``classifier_score`` and a FID-style ``frechet_distance`` on its own
      features. :meth:`QualityScorer.for_digits` uses scikit-learn's bundled
      digits.

Inception Score and FID (needs the ImageNet InceptionV3 weights)
    * :func:`inception_score` (Salimans et al. 2016) and
      :func:`frechet_inception_distance` (Heusel et al. 2017) with
      ``keras.applications.InceptionV3``. Nothing is ever downloaded from
      here: without the weights file in the Keras cache a clear
      ``RuntimeError`` says how to get it.

Helpers: :func:`frechet_distance_features` (exact, fast Frechet distance of
two feature sets) and :func:`frechet_distance_gaussians` (the FID formula
with ``scipy.linalg.sqrtm`` on precomputed statistics).

All image inputs are float images in [-1, 1] with shape (N, H, W, C), the
range of a ``tanh`` generator.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import numbers
import os
import random
import re
import time
import warnings

import keras
import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.sparse
import scipy.spatial
import scipy.special
import scipy.stats
import tensorflow as tf

from wgan_keras import params

__all__ = [
    "LP_MAX_PAIRS",
    "REPLICATION_MAX_POINTS",
    "INCEPTION_WEIGHTS_FILE",
    "wasserstein1",
    "sliced_wasserstein",
    "mode_coverage",
    "QualityScorer",
    "frechet_distance_features",
    "frechet_distance_gaussians",
    "inception_score",
    "frechet_inception_distance",
    "inception_weights_path",
    "default_cache_dir",
]

#: Largest ``n * m`` for which unequal-size W1 solves the transport LP.
LP_MAX_PAIRS = 250_000
#: Largest ``lcm(n, m)`` for which unequal-size W1 replicates the points and
#: solves an assignment problem instead (exact as well).
REPLICATION_MAX_POINTS = 2_500
#: The file ``keras.applications.InceptionV3(weights="imagenet")`` loads.
INCEPTION_WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"


# --------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------


def _to_numpy(name, value):
    try:
        array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    except Exception as error:  # noqa: BLE001
        raise ValueError(f"{name} must be an array of numbers; got {type(value).__name__} ({error}).") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"{name} must be an array of numbers; got dtype {array.dtype}.")
    return array


def _samples(name, value):
    """``value`` as float64 ``(n, ...)`` with n >= 1, finite; 1-D -> (n, 1)."""
    array = _to_numpy(name, value).astype(np.float64, copy=False)
    if array.ndim == 0:
        raise ValueError(f"{name} must be an array of samples (n,) or (n, ...); got a scalar.")
    if array.ndim == 1:
        array = array[:, None]
    if array.shape[0] == 0 or array.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        bad = int(np.sum(~np.isfinite(array)))
        raise ValueError(f"{name} contains {bad} NaN or infinite values; all samples must be finite.")
    return array


def _paired_samples(x, y, x_name="x", y_name="y"):
    x = _samples(x_name, x)
    y = _samples(y_name, y)
    if x.shape[1:] != y.shape[1:]:
        raise ValueError(
            f"{x_name} and {y_name} must have the same shape per sample; got {x_name} {x.shape} "
            f"(per sample {x.shape[1:]}) and {y_name} {y.shape} (per sample {y.shape[1:]})."
        )
    return x.reshape(len(x), -1), y.reshape(len(y), -1)


# --------------------------------------------------------------------------
# Wasserstein-1
# --------------------------------------------------------------------------


def wasserstein1(x, y) -> float:
    """Exact Wasserstein-1 distance between two empirical samples.

    The earth mover distance of WGAN (Arjovsky et al. 2017), Eq. (1),
    ``W(P, Q) = inf_{gamma in Pi(P, Q)} E_{(a, b) ~ gamma} ||a - b||_2``, for
    the empirical measures ``P = (1/n) sum_i delta_{x_i}`` and
    ``Q = (1/m) sum_j delta_{y_j}`` with the Euclidean ground cost. It is the
    optimal transport linear program (Kantorovich formulation)::

        min_T  sum_ij T_ij ||x_i - y_j||   s.t.  T >= 0,
               sum_j T_ij = 1/n,  sum_i T_ij = 1/m.

    Solved exactly, with no entropic smoothing:

    * ``n == m``: the LP's optimum is attained at a permutation matrix
      (Birkhoff-von Neumann), so it is the assignment problem
      ``min_sigma (1/n) sum_i ||x_i - y_sigma(i)||``, solved with
      ``scipy.optimize.linear_sum_assignment`` on the
      ``scipy.spatial.distance.cdist`` cost matrix. 2,500 vs 2,500 points
      (the VEEGAN/PacGAN protocol) take about 1-6 s on a busy 2-core CPU;
      nearly coincident samples (a generator collapsed onto one mode) make
      the assignment degenerate and can take 20-40 s there.
    * repeated points (exact duplicates, e.g. saturated outputs) are merged
      into weighted points first; if the distinct points are few enough
      (``n_distinct_x * n_distinct_y <= LP_MAX_PAIRS``) the weighted
      transport LP below is solved instead (same value, much faster).
    * one feature (1-D data): ``scipy.stats.wasserstein_distance`` (exact,
      by sorting), any sizes.
    * ``n != m`` and ``n * m <= LP_MAX_PAIRS`` (250,000): the transport LP
      above with ``scipy.optimize.linprog(method="highs")``.
    * ``n != m`` and ``lcm(n, m) <= REPLICATION_MAX_POINTS`` (2,500): each
      point repeated ``lcm / n`` (resp. ``lcm / m``) times, then the
      assignment problem (also exact).
    * otherwise ``ValueError``: subsample to equal sizes.

    Args:
        x: samples ``(n,)`` (treated as ``(n, 1)``), ``(n, d)`` or images
            ``(n, H, W, C)`` (flattened).
        y: samples ``(m, ...)`` with the same per-sample shape as ``x``.

    Returns:
        The distance as a Python float (0.0 for identical samples).

    Raises:
        ValueError: empty input, NaN/inf values, different per-sample
            shapes, or unequal sizes too large for an exact solve.
    """
    x, y = _paired_samples(x, y)
    n, m = len(x), len(y)
    if x.shape[1] == 1:
        return float(scipy.stats.wasserstein_distance(x[:, 0], y[:, 0]))
    # Repeated points (e.g. a collapsed or saturated generator) are merged
    # into weighted points: the same LP, smaller, and no degenerate ties.
    ux, wx = np.unique(x, axis=0, return_counts=True)
    uy, wy = np.unique(y, axis=0, return_counts=True)
    if (len(ux) < n or len(uy) < m) and len(ux) * len(uy) <= LP_MAX_PAIRS:
        return _w1_linprog(ux, uy, wx / n, wy / m)
    if n == m:
        return _w1_assignment(x, y)
    if n * m <= LP_MAX_PAIRS:
        return _w1_linprog(x, y)
    if math.lcm(n, m) <= REPLICATION_MAX_POINTS:
        return _w1_replicated(x, y)
    raise ValueError(
        f"x has {n} samples and y has {m}: exact W1 between unequal sizes is limited to n * m <= "
        f"{LP_MAX_PAIRS:,} (transport LP) or lcm(n, m) <= {REPLICATION_MAX_POINTS:,}; got n * m = {n * m:,}. "
        "Subsample both to the same size (equal sizes are solved exactly as an assignment problem)."
    )


def _w1_assignment(x, y):
    cost = scipy.spatial.distance.cdist(x, y)
    rows, cols = scipy.optimize.linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())


def _w1_linprog(x, y, x_weights=None, y_weights=None):
    n, m = len(x), len(y)
    x_weights = np.full(n, 1.0 / n) if x_weights is None else np.asarray(x_weights, np.float64)
    y_weights = np.full(m, 1.0 / m) if y_weights is None else np.asarray(y_weights, np.float64)
    cost = scipy.spatial.distance.cdist(x, y)
    # T is flattened row-major: T[i, j] -> i * m + j.
    row_sums = scipy.sparse.kron(scipy.sparse.eye(n), np.ones((1, m)))
    col_sums = scipy.sparse.kron(np.ones((1, n)), scipy.sparse.eye(m))
    a_eq = scipy.sparse.vstack([row_sums, col_sums]).tocsr()
    b_eq = np.concatenate([x_weights, y_weights])
    result = scipy.optimize.linprog(cost.ravel(), A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if result.status != 0:  # pragma: no cover - the transport LP is always feasible and bounded
        raise RuntimeError(f"the transport linear program failed: {result.message}")
    return float(max(result.fun, 0.0))


def _w1_replicated(x, y):
    size = math.lcm(len(x), len(y))
    return _w1_assignment(np.repeat(x, size // len(x), axis=0), np.repeat(y, size // len(y), axis=0))


def sliced_wasserstein(x, y, n_projections=128, seed=0) -> float:
    """Sliced Wasserstein-1 distance (Monte Carlo over random directions).

    ``SW1(P, Q) = E_{u ~ U(S^{d-1})} W1(<u, P>, <u, Q>)`` (Rabin et al.
    2011; Bonneel et al. 2015): the 1-D W1 of the projected samples,
    averaged over ``n_projections`` unit directions drawn (seeded) from
    ``numpy.random.default_rng(seed)`` as normalised Gaussian vectors. The
    1-D W1 is exact: the mean absolute difference of the sorted projections
    for equal sizes, ``scipy.stats.wasserstein_distance`` otherwise.
    ``SW1 <= W1``; it is cheap for images (O(n log n) per direction).

    Args:
        x, y: samples ``(n, ...)`` and ``(m, ...)`` with the same per-sample
            shape; images are flattened.
        n_projections: number of directions, an integer >= 1.
        seed: integer in [0, 2**32); the same seed gives the same directions.

    Returns:
        The estimate as a Python float.
    """
    n_projections = params.require_int("n_projections", n_projections, minimum=1)
    seed = params.require_seed(seed)
    x, y = _paired_samples(x, y)
    rng = np.random.default_rng(seed)
    directions = rng.standard_normal((n_projections, x.shape[1]))
    norms = np.linalg.norm(directions, axis=1, keepdims=True)
    directions /= np.where(norms > 0, norms, 1.0)
    px, py = x @ directions.T, y @ directions.T  # (n, P), (m, P)
    if len(x) == len(y):
        per_direction = np.abs(np.sort(px, axis=0) - np.sort(py, axis=0)).mean(axis=0)
    else:
        per_direction = np.array([scipy.stats.wasserstein_distance(px[:, k], py[:, k]) for k in range(n_projections)])
    return float(per_direction.mean())


# --------------------------------------------------------------------------
# Mode coverage (VEEGAN / PacGAN)
# --------------------------------------------------------------------------


def mode_coverage(samples, centers, std, threshold=3.0) -> dict:
    """Modes captured, high-quality fraction and reverse KL of a mixture fit.

    The toy-mixture metrics of VEEGAN (Srivastava et al. 2017, Section 5.1)
    and PacGAN (Lin et al. 2018, Section 5):

    * each sample is assigned to its nearest centre (Euclidean,
      ``scipy.spatial.cKDTree``); it is **high quality** if it lies within
      ``threshold * std`` (3 standard deviations) of that centre;
    * a mode is **captured** if it is the nearest centre of at least one
      high-quality sample (the PacGAN definition; some papers use a
      stricter count threshold, e.g. at least 20 samples or a fraction of
      the expected count, which gives lower mode counts);
    * **reverse KL**: ``KL(p || u) = sum_k p_k log(p_k / u_k)`` between the
      histogram ``p`` of the high-quality samples over the modes and the
      uniform distribution ``u_k = 1 / K``. It is 0 when every mode gets the
      same share and ``log K`` when all high-quality samples sit in one
      mode. Empty modes use the limit ``0 log 0 = 0`` (``scipy.special.
      rel_entr``), i.e. an epsilon -> 0 smoothing: since ``u`` is never zero
      no epsilon is needed and none is added. With no high-quality sample
      at all the histogram is undefined and ``reverse_kl`` is NaN.

    Args:
        samples: ``(n, d)`` generated samples (``(n,)`` for 1-D), finite.
        centers: ``(K, d)`` mode centres (``(K,)`` for 1-D).
        std: per-mode standard deviation, a number > 0 or ``K`` numbers.
            For the WGAN-GP toy sets use the post-scaling std from
            ``wgan_keras.data.toy_modes`` (about 0.0141 / 0.0177).
        threshold: radius in standard deviations, > 0 (3 in both papers).

    Returns:
        ``{"modes": int, "high_quality": float, "reverse_kl": float,
        "counts": int64 array (K,) of high-quality samples per mode,
        "n_modes": K}``.
    """
    samples = _samples("samples", samples)
    centers = _samples("centers", centers)
    if samples.ndim != 2 or centers.ndim != 2:
        raise ValueError(
            f"samples and centers must be (n, d) and (K, d); got samples {samples.shape} and centers {centers.shape}."
        )
    if samples.shape[1] != centers.shape[1]:
        raise ValueError(
            f"samples and centers must have the same dimension d; got samples {samples.shape} and "
            f"centers {centers.shape}."
        )
    k = len(centers)
    std_array = _to_numpy("std", std).astype(np.float64)
    if std_array.ndim == 0:
        std_array = np.full(k, float(std_array))
    if std_array.shape != (k,) or not np.all(np.isfinite(std_array)) or np.any(std_array <= 0):
        raise ValueError(f"std must be a number > 0 or {k} numbers > 0 (one per centre); got {std!r}.")
    threshold = params.require_number("threshold", threshold, minimum=0, exclusive_minimum=True)

    distances, nearest = scipy.spatial.cKDTree(centers).query(samples, k=1)
    good = distances <= threshold * std_array[nearest]
    counts = np.bincount(nearest[good], minlength=k).astype(np.int64)
    total = int(counts.sum())
    if total:
        histogram = counts / total
        reverse_kl = float(np.sum(scipy.special.rel_entr(histogram, np.full(k, 1.0 / k))))
    else:
        reverse_kl = float("nan")
    return {
        "modes": int(np.count_nonzero(counts)),
        "high_quality": float(good.mean()),
        "reverse_kl": reverse_kl,
        "counts": counts,
        "n_modes": k,
    }


# --------------------------------------------------------------------------
# Frechet distance
# --------------------------------------------------------------------------


def _features(name, value, min_rows=2):
    array = _to_numpy(name, value).astype(np.float64, copy=False)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n, features); got shape {array.shape}.")
    if len(array) < min_rows or array.shape[1] == 0:
        raise ValueError(
            f"{name} needs at least {min_rows} rows (a covariance is estimated) and one feature; "
            f"got shape {array.shape}."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return array


def frechet_distance_features(features_a, features_b) -> float:
    """Frechet distance between Gaussian fits of two feature sets (FID formula).

    ``d^2 = ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^{1/2})``
    (Frechet 1957; Dowson & Landau 1982; the FID of Heusel et al. 2017 when
    the features are InceptionV3 pool-3 activations), with unbiased
    covariances (ddof = 1) as in the reference FID code.

    The trace of the matrix square root is computed exactly without forming
    the (non-symmetric) root: ``Tr((S_a S_b)^{1/2})`` is the sum of the
    square roots of the eigenvalues of ``S_a S_b``, which are those of the
    symmetric PSD ``S_a^{1/2} S_b S_a^{1/2}`` (``scipy.linalg.eigh``); with
    fewer samples than features it is ``||A B^T||_* / sqrt((n_a-1)(n_b-1))``
    for the centred features ``A``, ``B`` (the nuclear norm, via
    ``scipy.linalg.svdvals`` of an n_a x n_b matrix). This equals the
    ``scipy.linalg.sqrtm`` formula of :func:`frechet_distance_gaussians`
    (checked in the tests) but stays exact for rank-deficient covariances
    (fewer samples than features, where ``sqrtm`` warns and returns large
    imaginary parts) and is much faster for small samples of 2048-d
    features (``sqrtm`` of a 2048 x 2048 matrix takes about a minute on a
    busy 2-core CPU). The result is clipped at 0 (round-off).

    Args:
        features_a, features_b: ``(n_a, d)`` and ``(n_b, d)``, n >= 2.

    Returns:
        The squared Frechet distance (the quantity reported as FID).
    """
    a = _features("features_a", features_a)
    b = _features("features_b", features_b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"features_a and features_b must have the same width; got {a.shape} and {b.shape}.")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    ca, cb = a - mu_a, b - mu_b
    na, nb = len(a) - 1, len(b) - 1
    d = a.shape[1]
    if len(a) * len(b) <= d * d:
        # Few samples: singular values of the (n_a x n_b) cross product.
        root_trace = float(np.sum(scipy.linalg.svdvals(ca @ cb.T))) / math.sqrt(na * nb)
    else:
        # Many samples: eigenvalues of the symmetric S_a^{1/2} S_b S_a^{1/2} (d x d).
        w, v = scipy.linalg.eigh(ca.T @ ca / na)
        root_a = (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T
        middle = root_a @ (cb.T @ cb / nb) @ root_a
        root_trace = float(np.sum(np.sqrt(np.clip(scipy.linalg.eigvalsh((middle + middle.T) / 2), 0.0, None))))
    trace_a = float(np.sum(ca * ca)) / na
    trace_b = float(np.sum(cb * cb)) / nb
    value = float(np.sum((mu_a - mu_b) ** 2)) + trace_a + trace_b - 2.0 * root_trace
    return max(value, 0.0)


def frechet_distance_gaussians(mu1, sigma1, mu2, sigma2, eps=1e-6) -> float:
    """The FID formula on precomputed Gaussian statistics (Heusel et al. 2017).

    ``||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 sqrtm(sigma1 sigma2))`` with
    ``scipy.linalg.sqrtm``, keeping its real part, as in the reference
    implementations (TTUR / pytorch-fid): if the product's square root is
    not finite, ``eps * I`` is added to both covariances. Use it with
    published statistics files; for raw features prefer
    :func:`frechet_distance_features` (exact and faster).
    """
    mu1 = np.atleast_1d(_to_numpy("mu1", mu1).astype(np.float64))
    mu2 = np.atleast_1d(_to_numpy("mu2", mu2).astype(np.float64))
    sigma1 = np.atleast_2d(_to_numpy("sigma1", sigma1).astype(np.float64))
    sigma2 = np.atleast_2d(_to_numpy("sigma2", sigma2).astype(np.float64))
    d = mu1.shape[0]
    if mu1.shape != (d,) or mu2.shape != (d,) or sigma1.shape != (d, d) or sigma2.shape != (d, d):
        raise ValueError(
            "mu1, mu2 must be (d,) and sigma1, sigma2 (d, d); got "
            f"{mu1.shape}, {mu2.shape}, {sigma1.shape}, {sigma2.shape}."
        )
    eps = params.require_number("eps", eps, minimum=0, exclusive_minimum=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
        if not np.all(np.isfinite(covmean)):
            offset = np.eye(d) * eps
            covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    covmean = np.real(covmean)
    diff = mu1 - mu2
    value = float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))
    return max(value, 0.0)


def _split_scores(probs, splits):
    """exp(E_x KL(p(y|x) || p(y))) on each of ``splits`` chunks (Salimans et al. 2016)."""
    scores = []
    for part in np.array_split(probs, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = np.sum(scipy.special.rel_entr(part, marginal), axis=1)
        scores.append(float(np.exp(kl.mean())))
    return scores


# --------------------------------------------------------------------------
# Deterministic, side-effect-free seeding
# --------------------------------------------------------------------------


@contextlib.contextmanager
def _seeded_scope(seed):
    """``keras.utils.set_random_seed(seed)`` inside, the caller's RNG state after.

    Python's and NumPy's global generators and Keras's global seed and
    SeedGenerator are restored on exit; TensorFlow's eager global seed is
    restored too (best effort: it uses TensorFlow's context internals).
    So building a scorer in the middle of a training script does not change
    the script's random streams.
    """
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    saved = {}
    try:
        from keras.src.backend.common import global_state
        from keras.src.random import seed_generator

        names = ("global_random_seed", seed_generator.GLOBAL_SEED_GENERATOR)
        saved["keras"] = (global_state, {name: global_state.get_global_attribute(name) for name in names})
    except Exception:  # noqa: BLE001 - private API moved: skip restoring it
        pass
    try:
        from tensorflow.python.eager import context as tf_context

        ctx = tf_context.context()
        saved["tf"] = (ctx, ctx._seed, ctx._rng)  # noqa: SLF001
    except Exception:  # noqa: BLE001
        pass
    keras.utils.set_random_seed(seed)
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
        if "keras" in saved:
            state, values = saved["keras"]
            for name, value in values.items():
                state.set_global_attribute(name, value)
        if "tf" in saved:
            ctx, tf_seed, tf_rng = saved["tf"]
            try:
                ctx._seed, ctx._rng = tf_seed, tf_rng  # noqa: SLF001
            except Exception:  # noqa: BLE001
                pass


# --------------------------------------------------------------------------
# Image inputs
# --------------------------------------------------------------------------


def _images(name, value, channels=None):
    """float32 ``(N, H, W, C)``; ``(N, H, W)`` gets C = 1; finite; N >= 1."""
    array = _to_numpy(name, value)
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[0] == 0 or min(array.shape[1:]) == 0:
        raise ValueError(f"{name} must be a non-empty batch of images (N, H, W, C) or (N, H, W); got shape {array.shape}.")
    if channels is not None and array.shape[-1] not in channels:
        raise ValueError(f"{name} must have {' or '.join(map(str, channels))} channels; got shape {array.shape}.")
    array = array.astype(np.float32, copy=False)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values; images must be finite floats in [-1, 1].")
    return array


def default_cache_dir() -> str:
    """``$WGAN_KERAS_CACHE/quality`` if the variable is set, else ``~/.cache/wgan_keras/quality``."""
    root = os.environ.get("WGAN_KERAS_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "wgan_keras")
    return os.path.join(root, "quality")


# --------------------------------------------------------------------------
# QualityScorer: a small classifier as the feature extractor
# --------------------------------------------------------------------------

_ARCHITECTURE = "convnet-v1: conv3x3(32) + stride-2 conv3x3(64) to <= 4x4 + dense(64, relu, 'features') + softmax"
_FEATURES = 64


def _build_classifier(image_shape, num_classes, seed):
    """A small convnet; its penultimate 64-unit ReLU layer ``"features"`` gives the features."""
    layers = keras.layers
    init = lambda k: keras.initializers.HeNormal(seed=seed + k)  # noqa: E731
    inputs = keras.Input(shape=image_shape, name="quality_images")
    x = layers.Conv2D(32, 3, padding="same", activation="relu", kernel_initializer=init(0), name="quality_conv0")(inputs)
    size, k = min(image_shape[:2]), 1
    while size > 4 or k == 1:
        x = layers.Conv2D(
            64, 3, strides=2, padding="same", activation="relu", kernel_initializer=init(k), name=f"quality_conv{k}"
        )(x)
        size, k = (size + 1) // 2, k + 1
    x = layers.Flatten(name="quality_flatten")(x)
    features = layers.Dense(_FEATURES, activation="relu", kernel_initializer=init(k), name="features")(x)
    probs = layers.Dense(
        num_classes, activation="softmax", kernel_initializer=keras.initializers.GlorotUniform(seed=seed + k + 1),
        name="probabilities",
    )(features)
    return keras.Model(inputs, probs, name="quality_classifier")


def _stratified_split(labels, validation_fraction, seed):
    """Seeded stratified split; the same as ``wgan_keras.data.digits`` uses."""
    from sklearn.model_selection import train_test_split

    n = len(labels)
    n_val = min(max(int(math.ceil(validation_fraction * n)), 1), n - 1)
    n_classes = len(np.unique(labels))
    stratify = labels if min(n_val, n - n_val) >= n_classes else None
    train, val = train_test_split(np.arange(n), test_size=n_val, random_state=seed, shuffle=True, stratify=stratify)
    return np.asarray(train), np.asarray(val)


def _cache_key(images, labels, settings):
    digest = hashlib.sha256()
    digest.update(_ARCHITECTURE.encode())
    digest.update(json.dumps(settings, sort_keys=True).encode())
    digest.update(repr(images.shape).encode())
    digest.update(np.ascontiguousarray(images, dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(labels, dtype=np.int64).tobytes())
    return digest.hexdigest()


def _auto_epochs(n_train, batch_size):
    """About 1,200 optimiser steps, between 1 and 30 epochs."""
    steps_per_epoch = math.ceil(n_train / batch_size)
    return int(min(30, max(1, math.ceil(1200 / steps_per_epoch))))


class QualityScorer:
    """Sample quality from a small classifier trained on real labelled images.

    A download-free stand-in for the Inception Score and FID on small image
    sets (digits, MNIST-like data): the same formulas (Salimans et al. 2016;
    Heusel et al. 2017), with this classifier instead of InceptionV3. Scores
    are comparable only between runs using the same scorer (same data,
    seed and settings), which the cache guarantees.

    Build it with :meth:`for_digits` or :meth:`fit`; training is
    deterministic (explicit initializer seeds, a seeded NumPy batch order,
    no dropout, and ``keras.utils.set_random_seed`` in a scope that restores
    the caller's random state) and the weights are cached, keyed by a hash
    of the data and settings, so later constructions load instead of train.

    Attributes:
        model: the Keras classifier (images -> class probabilities).
        info: dict: ``name``, ``key``, ``validation_accuracy`` (held-out),
            ``train_seconds``, ``n_train``, ``n_validation``, ``epochs``,
            ``image_shape``, ``num_classes``, ``loaded_from_cache``,
            ``weights_path``.
    """

    def __init__(self, model, info=None):
        if not isinstance(model, keras.Model):
            raise ValueError(f"model must be a keras.Model; got {type(model).__name__}.")
        try:
            features = model.get_layer("features").output
        except ValueError:
            raise ValueError("model must have a layer named 'features' (its output gives the features).") from None
        self.model = model
        self.info = dict(info or {})
        self.image_shape = tuple(int(s) for s in model.input_shape[1:])
        self.num_classes = int(model.output_shape[-1])
        self._both = keras.Model(model.inputs, [features, model.outputs[0]], name="quality_features_and_probs")
        self._reference = None  # (hash, features) of the last reference set

    # ------------------------------------------------------------ builders
    @classmethod
    def for_digits(cls, seed=0, image_size=8, cache_dir=None, **kwargs):
        """A scorer for scikit-learn's 8x8 digits (offline, about 1,800 images).

        Data from ``wgan_keras.data.digits(image_size, split="all")``:
        ``sklearn.datasets.load_digits`` scaled to [-1, 1] as (H, W, 1)
        images, bilinearly resized with ``tf.image.resize`` when
        ``image_size != 8``. With the default ``validation_fraction=0.2`` the
        held-out images are exactly ``data.digits(split="validation",
        seed=seed)``: score generators against that split.

        Args:
            seed: seeds the split, the initial weights and the batch order.
            image_size: side of the images the generator produces.
            cache_dir: weights cache (default :func:`default_cache_dir`);
                ``False`` disables caching.
            **kwargs: passed to :meth:`fit` (``epochs``, ``batch_size``, ...).
        """
        from wgan_keras import data

        image_size = params.require_int("image_size", image_size, minimum=1)
        images, labels = data.digits(image_size=image_size, split="all", return_labels=True)
        return cls.fit(images, labels, seed=seed, cache_dir=cache_dir, name=f"digits{image_size}", **kwargs)

    @classmethod
    def fit(
        cls,
        images,
        labels,
        seed=0,
        cache_dir=None,
        name="custom",
        epochs=None,
        batch_size=32,
        validation_fraction=0.2,
        learning_rate=1e-3,
        verbose=0,
    ):
        """Train (or load from the cache) a scorer on real labelled images.

        Args:
            images: ``(N, H, W, C)`` (or ``(N, H, W)``) real images in [-1, 1].
            labels: ``(N,)`` integer classes 0..K-1, K >= 2.
            seed: integer in [0, 2**32): split, initial weights, batch order.
            cache_dir: folder for the cached weights (default
                :func:`default_cache_dir`: ``$WGAN_KERAS_CACHE/quality`` or
                ``~/.cache/wgan_keras/quality``); ``False`` disables caching.
            name: file-name prefix in the cache (letters, digits, ``._-``).
            epochs: ``None`` picks about 1,200 optimiser steps (1..30 epochs).
            batch_size, learning_rate: Adam training settings.
            validation_fraction: in (0, 1): held-out share (stratified) for
                ``info["validation_accuracy"]``.
            verbose: Keras ``fit`` verbosity.
        """
        images = _images("images", images)
        if images.min() < -1.001 or images.max() > 1.001:
            raise ValueError(
                f"images must be scaled to [-1, 1]; got values in [{images.min():.3g}, {images.max():.3g}] "
                "(e.g. for uint8 pixels use x / 127.5 - 1)."
            )
        labels_array = _to_numpy("labels", labels)
        if labels_array.shape != (len(images),) or not np.issubdtype(labels_array.dtype, np.integer):
            raise ValueError(
                f"labels must be {len(images)} integers (one per image); got dtype {labels_array.dtype} "
                f"and shape {labels_array.shape}."
            )
        if labels_array.min() < 0 or len(np.unique(labels_array)) < 2:
            raise ValueError("labels must be integers >= 0 with at least 2 different classes.")
        labels_array = labels_array.astype(np.int64)
        seed = params.require_seed(seed)
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise ValueError(f"name must be a non-empty string of letters, digits, '.', '_' or '-'; got {name!r}.")
        batch_size = params.require_int("batch_size", batch_size, minimum=1)
        learning_rate = params.require_number("learning_rate", learning_rate, minimum=0, exclusive_minimum=True)
        if isinstance(validation_fraction, bool) or not isinstance(validation_fraction, numbers.Real) or not (
            0.0 < validation_fraction < 1.0
        ):
            raise ValueError(f"validation_fraction must be in the open interval (0, 1); got {validation_fraction!r}.")
        if len(images) < 2:
            raise ValueError(f"images must hold at least 2 images (a training and a held-out one); got {len(images)}.")
        if epochs is not None:
            epochs = params.require_int("epochs", epochs, minimum=1)

        num_classes = int(labels_array.max()) + 1
        train_idx, val_idx = _stratified_split(labels_array, float(validation_fraction), seed)
        epochs = _auto_epochs(len(train_idx), batch_size) if epochs is None else epochs
        settings = {
            "seed": seed,
            "epochs": epochs,
            "batch_size": batch_size,
            "validation_fraction": float(validation_fraction),
            "learning_rate": learning_rate,
            "num_classes": num_classes,
        }
        key = _cache_key(images, labels_array, settings)
        info = {
            "name": name,
            "key": key,
            "image_shape": list(images.shape[1:]),
            "num_classes": num_classes,
            "n_train": int(len(train_idx)),
            "n_validation": int(len(val_idx)),
            **settings,
        }
        weights_path = None
        if cache_dir is not False:
            folder = os.fspath(default_cache_dir() if cache_dir is None else cache_dir)
            weights_path = os.path.join(folder, f"{name}-{key[:20]}.weights.h5")
            info_path = weights_path[: -len(".weights.h5")] + ".json"
            if os.path.exists(weights_path) and os.path.exists(info_path):
                try:
                    with _seeded_scope(seed):
                        model = _build_classifier(images.shape[1:], num_classes, seed)
                    model.load_weights(weights_path)
                    with open(info_path) as handle:
                        saved = json.load(handle)
                    if saved.get("key") == key:
                        saved.update(loaded_from_cache=True, weights_path=weights_path)
                        return cls(model, saved)
                except Exception as error:  # noqa: BLE001 - a broken cache entry: train again
                    warnings.warn(f"QualityScorer: could not load {weights_path} ({error}); training again.", stacklevel=2)

        model, accuracy, seconds = cls._train(
            images, labels_array, train_idx, val_idx, num_classes, seed, epochs, batch_size, learning_rate, verbose
        )
        info.update(validation_accuracy=accuracy, train_seconds=seconds, loaded_from_cache=False, weights_path=weights_path)
        if weights_path is not None:
            os.makedirs(folder, exist_ok=True)
            tmp = f"{weights_path[: -len('.weights.h5')]}.{os.getpid()}.tmp.weights.h5"
            model.save_weights(tmp)
            os.replace(tmp, weights_path)
            with open(info_path + f".{os.getpid()}.tmp", "w") as handle:
                json.dump({k: v for k, v in info.items() if k not in ("loaded_from_cache", "weights_path")}, handle, indent=1)
            os.replace(info_path + f".{os.getpid()}.tmp", info_path)
        return cls(model, info)

    @staticmethod
    def _train(images, labels, train_idx, val_idx, num_classes, seed, epochs, batch_size, learning_rate, verbose):
        """Train the classifier; returns ``(model, held-out accuracy, seconds)``."""
        start = time.perf_counter()
        rng = np.random.default_rng(seed)
        order = np.concatenate([train_idx[rng.permutation(len(train_idx))] for _ in range(epochs)])
        with _seeded_scope(seed):
            model = _build_classifier(images.shape[1:], num_classes, seed)
            model.compile(
                optimizer=keras.optimizers.Adam(learning_rate),
                loss="sparse_categorical_crossentropy",
                metrics=["accuracy"],
            )
            x = tf.constant(images)
            y = tf.constant(labels)
            dataset = (
                tf.data.Dataset.from_tensor_slices(order)
                .batch(batch_size)
                .map(lambda idx: (tf.gather(x, idx), tf.gather(y, idx)))
                .prefetch(2)
            )
            model.fit(dataset, epochs=1, shuffle=False, verbose=verbose)
        probs = model.predict(images[val_idx], batch_size=512, verbose=0)
        accuracy = float(np.mean(np.argmax(probs, axis=1) == labels[val_idx]))
        return model, accuracy, time.perf_counter() - start

    # ------------------------------------------------------------ scoring
    @property
    def loaded_from_cache(self) -> bool:
        """True when the weights came from the cache instead of training."""
        return bool(self.info.get("loaded_from_cache", False))

    @property
    def accuracy(self):
        """Held-out accuracy of the classifier (``info["validation_accuracy"]``)."""
        return self.info.get("validation_accuracy")

    def _prepare(self, name, images):
        array = _images(name, images)
        if array.shape[1:] != self.image_shape:
            raise ValueError(
                f"{name} must have images of shape {self.image_shape} (what this scorer was trained on); "
                f"got {array.shape}. Build the scorer for that size (e.g. for_digits(image_size=...))."
            )
        # Out-of-range generator values are clipped, as writing an image would.
        return np.clip(array, -1.0, 1.0)

    def _outputs(self, name, images):
        features, probs = self._both.predict(self._prepare(name, images), batch_size=512, verbose=0)
        return np.asarray(features, np.float64), np.asarray(probs, np.float64)

    def features(self, images) -> np.ndarray:
        """Penultimate-layer activations ``(N, 64)`` of float images in [-1, 1]."""
        return self._outputs("images", images)[0]

    def predict(self, images) -> np.ndarray:
        """Class probabilities ``(N, K)``."""
        return self._outputs("images", images)[1]

    def _reference_features(self, reference):
        array = self._prepare("reference", reference)
        digest = hashlib.sha256(array.tobytes() + repr(array.shape).encode()).hexdigest()
        if self._reference is None or self._reference[0] != digest:
            feats = np.asarray(self._both.predict(array, batch_size=512, verbose=0)[0], np.float64)
            self._reference = (digest, feats)
        return self._reference[1]

    def frechet_distance(self, images_a, images_b) -> float:
        """FID formula (Heusel et al. 2017) on this classifier's features.

        The squared Frechet distance between Gaussian fits of
        ``features(images_a)`` and ``features(images_b)``
        (:func:`frechet_distance_features`); each set needs >= 2 images.
        """
        return frechet_distance_features(self.features(images_a), self._reference_features(images_b))

    def classifier_score(self, images, min_fraction=0.01) -> dict:
        """Inception-Score formula (Salimans et al. 2016) with this classifier.

        Returns:
            ``{"score": exp(E_x KL(p(y|x) || p(y))) in [1, K],
            "class_coverage": fraction of the K classes that are the argmax
            of at least max(1, min_fraction * N) images, "confidence": mean
            max probability}``.
        """
        if isinstance(min_fraction, bool) or not isinstance(min_fraction, numbers.Real) or not 0 <= min_fraction <= 1:
            raise ValueError(f"min_fraction must be a number in [0, 1]; got {min_fraction!r}.")
        return self._probability_scores(self._outputs("images", images)[1], min_fraction)

    def _probability_scores(self, probs, min_fraction=0.01):
        counts = np.bincount(np.argmax(probs, axis=1), minlength=self.num_classes)
        needed = max(1.0, min_fraction * len(probs))
        return {
            "score": _split_scores(probs, 1)[0],
            "class_coverage": float(np.mean(counts >= needed)),
            "confidence": float(probs.max(axis=1).mean()),
        }

    def evaluate(self, generated, reference) -> dict:
        """All scores at once: ``{"fd", "score", "class_coverage", "confidence"}``.

        ``fd`` is :meth:`frechet_distance` (generated vs. reference; the
        reference features are cached between calls with the same array);
        the others are :meth:`classifier_score` of ``generated``.
        """
        features, probs = self._outputs("generated", generated)
        if len(features) < 2:
            raise ValueError(f"generated needs at least 2 images; got {len(features)}.")
        scores = {"fd": frechet_distance_features(features, self._reference_features(reference))}
        scores.update(self._probability_scores(probs))
        return scores

    def __repr__(self):
        acc = self.accuracy
        acc = "?" if acc is None else f"{acc:.3f}"
        return (
            f"QualityScorer(name={self.info.get('name')!r}, image_shape={self.image_shape}, "
            f"classes={self.num_classes}, held-out accuracy={acc}, cached={self.loaded_from_cache})"
        )


# --------------------------------------------------------------------------
# Inception Score and FID with keras.applications.InceptionV3
# --------------------------------------------------------------------------

#: Built InceptionV3 models, keyed by the weights (None or a file path):
#: ``(model -> [pool3 features (N, 2048), softmax (N, 1000)], predict_fn)``.
_INCEPTION_MODELS = {}


def _keras_cache_dirs():
    """Where ``keras.utils.get_file`` keeps downloads: ``$KERAS_HOME`` if set, else Keras's home and ``~/.keras``."""
    if os.environ.get("KERAS_HOME"):
        return [os.path.expanduser(os.environ["KERAS_HOME"])]
    dirs = []
    try:
        from keras.src.backend import config

        dirs.append(os.path.expanduser(config.keras_home()))
    except Exception:  # noqa: BLE001
        pass
    dirs.append(os.path.join(os.path.expanduser("~"), ".keras"))
    dirs.append(os.path.join("/tmp", ".keras"))  # get_file's fallback when home is read-only
    return list(dict.fromkeys(dirs))


def inception_weights_path(weights="imagenet"):
    """The local InceptionV3 weights file for ``weights``, never downloading.

    Args:
        weights: ``"imagenet"`` (looks for ``models/`` +
            :data:`INCEPTION_WEIGHTS_FILE` in the Keras cache: ``$KERAS_HOME``
            when set, else ``~/.keras``), a path to a Keras ``.h5`` weights
            file of the full InceptionV3 (with its 1000-class top), or
            ``None`` (random weights, for tests).

    Returns:
        The file path, or ``None`` for ``weights=None``.

    Raises:
        RuntimeError: ``"imagenet"`` weights are not in the cache.
        ValueError: any other value, or a path that does not exist.
    """
    if weights is None:
        return None
    if weights == "imagenet":
        candidates = [os.path.join(d, "models", INCEPTION_WEIGHTS_FILE) for d in _keras_cache_dirs()]
        for path in candidates:
            if os.path.isfile(path):
                return path
        raise RuntimeError(
            f"The ImageNet InceptionV3 weights ({INCEPTION_WEIGHTS_FILE}, about 92 MB) are not in the Keras "
            f"cache (looked in: {', '.join(candidates)}), and wgan_keras never downloads them. Either run once "
            "with internet access (e.g. on Colab) `keras.applications.InceptionV3(weights='imagenet')`, which "
            "saves the file under ~/.keras/models (or $KERAS_HOME/models), and copy it to this machine; or pass "
            "weights='/path/to/inception_v3_weights_tf_dim_ordering_tf_kernels.h5'. weights=None uses random "
            "weights (meaningless scores; for testing only)."
        )
    if isinstance(weights, (str, os.PathLike)):
        path = os.path.expanduser(os.fspath(weights))
        if not os.path.isfile(path):
            raise ValueError(f"weights must be 'imagenet', None or an existing .h5 weights file; {path!r} does not exist.")
        return os.path.abspath(path)
    raise ValueError(f"weights must be 'imagenet', None or a path to an .h5 weights file; got {weights!r}.")


def _inception(weights):
    """The cached (model, predict function) for ``weights``; built once."""
    path = inception_weights_path(weights)  # raises before anything is built
    if path in _INCEPTION_MODELS:
        return _INCEPTION_MODELS[path]
    with _seeded_scope(0):
        base = keras.applications.InceptionV3(include_top=True, weights=None, input_shape=(299, 299, 3))
    if path is not None:
        base.load_weights(path)
    model = keras.Model(base.inputs, [base.get_layer("avg_pool").output, base.outputs[0]], name="inception_v3_fid_is")

    @tf.function(reduce_retracing=True)
    def predict(batch):
        # Inputs in [-1, 1] are what InceptionV3's preprocess_input produces.
        batch = tf.image.resize(batch, (299, 299), method="bilinear")
        return model(batch, training=False)

    _INCEPTION_MODELS[path] = (model, predict)
    return _INCEPTION_MODELS[path]


def _inception_outputs(name, images, batch_size, weights):
    batch_size = params.require_int("batch_size", batch_size, minimum=1)
    images = np.clip(_images(name, images, channels=(1, 3)), -1.0, 1.0)
    _, predict = _inception(weights)
    pools, probs = [], []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        if batch.shape[-1] == 1:  # grey -> RGB
            batch = np.repeat(batch, 3, axis=-1)
        pool, prob = predict(tf.constant(batch))
        pools.append(pool.numpy())
        probs.append(prob.numpy())
    return np.concatenate(pools).astype(np.float64), np.concatenate(probs).astype(np.float64)


def inception_score(images, splits=10, batch_size=32, weights="imagenet"):
    """Inception Score (Salimans et al. 2016) with Keras's InceptionV3.

    ``IS = exp(E_x KL(p(y|x) || p(y)))`` over the 1000 ImageNet classes,
    computed on each of ``splits`` equal chunks (``numpy.array_split``);
    returns the mean and standard deviation over the chunks, as the
    original code does (10 splits of 50,000 images in the papers). Images
    (float, [-1, 1], (N, H, W, 1 or 3); grey is repeated to RGB) are
    bilinearly resized to 299x299. Keras's InceptionV3 is not the TF1 graph
    of the original code (1008 outputs), so values differ slightly from
    published ones: compare numbers computed the same way.

    Args:
        images: generated images.
        splits: integer in [1, N].
        batch_size: images per forward pass.
        weights: ``"imagenet"`` (from the local Keras cache, never
            downloaded: ``RuntimeError`` when absent), a path to the ``.h5``
            file, or ``None`` (random weights; only for testing. InceptionV3
            at 299x299 is slow on a CPU: about a second per image or two).

    Returns:
        ``(mean, std)`` as Python floats.
    """
    splits = params.require_int("splits", splits, minimum=1)
    inception_weights_path(weights)  # fail fast, before touching the images
    images = _images("images", images, channels=(1, 3))
    if splits > len(images):
        raise ValueError(f"splits must be at most the number of images ({len(images)}); got {splits}.")
    _, probs = _inception_outputs("images", images, batch_size, weights)
    scores = _split_scores(probs, splits)
    return float(np.mean(scores)), float(np.std(scores))


def frechet_inception_distance(images_a, images_b, batch_size=32, weights="imagenet") -> float:
    """Frechet Inception Distance (Heusel et al. 2017) with Keras's InceptionV3.

    The squared Frechet distance between Gaussian fits of the 2048-d pool-3
    (``avg_pool``) activations of the two image sets
    (:func:`frechet_distance_features`). Images are float in [-1, 1],
    (N, H, W, 1 or 3), bilinearly resized to 299x299; each set needs at
    least 2 images (the papers use 10,000-50,000; FID is biased upwards for
    small sets, so compare at equal sizes). ``weights`` as in
    :func:`inception_score`.
    """
    inception_weights_path(weights)  # fail fast
    images_a = _images("images_a", images_a, channels=(1, 3))
    images_b = _images("images_b", images_b, channels=(1, 3))
    if len(images_a) < 2 or len(images_b) < 2:
        raise ValueError(f"images_a and images_b need at least 2 images each; got {len(images_a)} and {len(images_b)}.")
    features_a, _ = _inception_outputs("images_a", images_a, batch_size, weights)
    features_b, _ = _inception_outputs("images_b", images_b, batch_size, weights)
    return frechet_distance_features(features_a, features_b)
