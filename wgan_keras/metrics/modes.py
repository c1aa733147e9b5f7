"""Mode coverage of a generator on a Gaussian mixture (VEEGAN / PacGAN definitions)."""

import numpy as np
import scipy.spatial
import scipy.special

from wgan_keras import params
from wgan_keras.arrays import to_numpy
from wgan_keras.metrics._inputs import require_samples


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
        dict: ``{"modes": int, "high_quality": float, "reverse_kl": float,
        "counts": int64 array (K,) of high-quality samples per mode,
        "n_modes": K}``.
    """
    samples = require_samples("samples", samples)
    centers = require_samples("centers", centers)
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
    std_array = to_numpy(std, "std").astype(np.float64)
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
