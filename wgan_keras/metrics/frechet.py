"""The Frechet distance between Gaussian fits of two feature sets (the FID formula)."""

import math
import warnings

import numpy as np
import scipy.linalg

from wgan_keras import params
from wgan_keras.arrays import to_numpy
from wgan_keras.metrics._inputs import require_features


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
    a = require_features("features_a", features_a)
    b = require_features("features_b", features_b)
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
    mu1 = np.atleast_1d(to_numpy(mu1, "mu1").astype(np.float64))
    mu2 = np.atleast_1d(to_numpy(mu2, "mu2").astype(np.float64))
    sigma1 = np.atleast_2d(to_numpy(sigma1, "sigma1").astype(np.float64))
    sigma2 = np.atleast_2d(to_numpy(sigma2, "sigma2").astype(np.float64))
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
