"""WGAN Example 1 (learning parallel lines): the samples.

Arjovsky, Chintala, Bottou, "Wasserstein GAN", ICML 2017 (arXiv
1701.07875), Section 2, Example 1 and Figure 1. The closed-form distances
between the two lines are theory and live in :mod:`wgan_keras.divergences`;
``wgan_keras.data.parallel_lines_distances`` is that same function.
"""

import numpy as np

from wgan_keras import params
from wgan_keras.divergences import parallel_lines_distances

__all__ = ["parallel_lines", "parallel_lines_distances"]


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
