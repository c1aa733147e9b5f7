"""KL, JS, TV and EM between distributions given by densities on a grid.

WGAN Section 2 compares four distances (Definitions of KL, JS, TV and EM,
and Example 1); these functions compute them for distributions known
through their densities, for checks against closed forms and against what
trained networks estimate, and the closed forms of Example 1
(:func:`parallel_lines_distances`). Discrete sums use scipy:
``scipy.stats.entropy`` for KL, ``scipy.spatial.distance.jensenshannon`` for
JS and ``scipy.stats.wasserstein_distance`` for the 1-D earth mover's
distance. All logarithms are natural.
"""

import math

import numpy as np
from scipy import spatial, special, stats

from wgan_keras import params


def parallel_lines_distances(theta: float) -> dict:
    """Closed-form distances between P0 and P_theta of WGAN Example 1.

    Arjovsky et al. 2017, Section 2, Example 1: ``W(P0, P_theta) = |theta|``;
    JS = log 2, KL = +inf and TV = 1 when theta != 0, all 0 when theta = 0.
    Only the EM (Wasserstein-1) distance is continuous in theta (Figure 1).
    The samples are ``wgan_keras.data.parallel_lines``, which also exports
    this function as ``wgan_keras.data.parallel_lines_distances``.

    Returns:
        ``{"EM": float, "JS": float, "KL": float, "TV": float}``.
    """
    theta = params.require_number("theta", theta)
    if theta == 0.0:  # the same line: nothing to move, nothing to tell apart
        return {"EM": 0.0, "JS": 0.0, "KL": 0.0, "TV": 0.0}
    # Disjoint supports: JS saturates, KL diverges and TV is maximal, whatever |theta|.
    return {"EM": abs(theta), "JS": math.log(2.0), "KL": math.inf, "TV": 1.0}


def discretize(density, grid):
    """Probability masses of a density evaluated on a regular grid."""
    mass = np.clip(np.asarray(density(grid) if callable(density) else density, dtype="float64"), 0, None)
    total = mass.sum()
    if not total > 0:
        raise ValueError("density has no mass on the grid.")
    return mass / total


def kl(p, q):
    """``KL(P || Q) = sum p log(p / q)``; ``inf`` where ``q = 0 < p``."""
    p, q = np.asarray(p, dtype="float64"), np.asarray(q, dtype="float64")
    if np.any((q == 0) & (p > 0)):
        return float("inf")
    return float(stats.entropy(p, q))


def js(p, q):
    """``JS(P, Q) = KL(P || M)/2 + KL(Q || M)/2`` with ``M = (P + Q)/2``, in nats."""
    return float(spatial.distance.jensenshannon(p, q)) ** 2


def tv(p, q):
    """``TV(P, Q) = sup_A |P(A) - Q(A)| = sum |p - q| / 2``."""
    return 0.5 * float(np.abs(np.asarray(p) - np.asarray(q)).sum())


def em_1d(grid, p, q):
    """Earth mover's (W1) distance between two distributions on a 1-D grid."""
    return float(stats.wasserstein_distance(grid, grid, p, q))


def optimal_discriminator(p_data, p_g):
    """``D*(x) = p_data(x) / (p_data(x) + p_g(x))`` (GAN Proposition 1)."""
    p_data, p_g = np.asarray(p_data, dtype="float64"), np.asarray(p_g, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(p_data + p_g > 0, p_data / (p_data + p_g), 0.5)


def gan_value_at_optimum(p_data, p_g):
    """``C(G) = E_data log D* + E_g log(1 - D*)``, which equals ``-log 4 + 2 JS`` (GAN Theorem 1)."""
    p_data, p_g = np.asarray(p_data, dtype="float64"), np.asarray(p_g, dtype="float64")
    # log D* = log p - log(p + q), in logs so far tails do not underflow to log 0.
    real_term = special.xlogy(p_data, p_data) - special.xlogy(p_data, p_data + p_g)
    fake_term = special.xlogy(p_g, p_g) - special.xlogy(p_g, p_data + p_g)
    return float(real_term.sum() + fake_term.sum())
