"""Checks of notebook 01 (distances): WGAN Section 2 and the GAN's optimal discriminator.

* ``parallel_lines_distances(theta)``: EM, JS, KL and TV between
  ``P0 = (0, Z)`` and ``P_theta = (theta, Z)`` (WGAN Example 1).
* ``js(p, q)``: the Jensen-Shannon divergence of two discrete distributions,
  in nats (WGAN Section 2, definition of JS).
* ``optimal_discriminator(p_data, p_g)`` and ``gan_value(p_data, p_g)``:
  ``D* = p_data / (p_data + p_g)`` (Goodfellow et al. 2014, Proposition 1) and
  ``C(G) = -log 4 + 2 JS`` (their Theorem 1).

Beside the fixed cases each check draws one from its ``seed`` (printed);
the student's function gets copies of the arrays, the expected values are
computed before it runs.
"""

import math

import numpy as np
import scipy.spatial

from wgan_keras import data, divergences
from wgan_keras.exercises import harness
from wgan_keras.exercises.harness import Mismatch, approx_case, array_case, close, fmt, require_function, run, to_scalar

KEYS = ("EM", "JS", "KL", "TV")


def _distances_text(values):
    return ", ".join(f"{key} {fmt(values[key], 4)}" for key in KEYS)


def check_parallel_lines_distances(parallel_lines_distances, show=True, seed=None):
    """Check ``parallel_lines_distances(theta) -> {"EM", "JS", "KL", "TV"}`` (WGAN Example 1).

    ``W = |theta|``; ``JS = log 2`` (nats), ``KL = inf`` and ``TV = 1`` when
    ``theta != 0``; all four are 0 at ``theta = 0``. Compared with
    ``wk.divergences.parallel_lines_distances``, including a negative and a tiny
    ``theta``, and one drawn from ``seed``.
    """
    require_function("parallel_lines_distances", parallel_lines_distances)
    seed = harness.draw_seed(seed)
    rng = np.random.default_rng(seed)
    drawn = float(np.round(rng.choice([-1.0, 1.0]) * rng.uniform(0.05, 3.0), 4))

    def case(theta, prefix=""):
        expected = divergences.parallel_lines_distances(theta)

        def judge():
            received = parallel_lines_distances(theta)
            if not hasattr(received, "keys"):
                raise Mismatch(f"not a dict: {type(received).__name__}")
            missing = [key for key in KEYS if key not in received]
            if missing:
                raise Mismatch(f"no key {', '.join(map(repr, missing))}")
            values = {key: to_scalar(received[key], key) for key in KEYS}
            return _distances_text(values), all(close(expected[key], values[key], 1e-6, 1e-9) for key in KEYS)

        return f"{prefix}theta = {theta:g}", _distances_text(expected), judge

    cases = [case(t) for t in (1.0, -0.5, 0.0, 1e-3, 2.5)] + [case(drawn, "random: ")]
    return run("check_parallel_lines_distances", cases, show, seed)


def _discrete_pairs(seed, n=5, size=12):
    rng = np.random.default_rng(seed)
    return [(rng.dirichlet(np.ones(size)), rng.dirichlet(np.ones(size))) for _ in range(n)]


def _masses_with_zeros(rng, size):
    """Two probability vectors of ``size`` outcomes, each with zeros where the other has mass (never both)."""
    p, q = rng.dirichlet(np.ones(size)), rng.dirichlet(np.ones(size))
    where = rng.random(size)
    where[rng.integers(size)] = 0.5  # one outcome where both have mass
    p[where < 0.2] = 0.0  # p empty, q not
    q[where > 0.8] = 0.0  # q empty, p not
    return p / p.sum(), q / q.sum()


def _scipy_js(a, b):
    return float(scipy.spatial.distance.jensenshannon(a, b)) ** 2


def check_js(js, show=True, seed=None):
    """Check ``js(p, q)``: ``KL(P || M) / 2 + KL(Q || M) / 2`` with ``M = (P + Q) / 2``, in nats.

    Compared with ``scipy.spatial.distance.jensenshannon(p, q) ** 2``, on
    fixed pairs and on pairs with zeros drawn from ``seed`` (printed); and its
    properties: symmetric, 0 for equal distributions, ``log 2`` (its
    maximum) for disjoint supports, finite where one distribution has zeros.
    Every expected value is computed before ``js`` runs, and ``js`` gets
    copies: one that writes into its arguments cannot change the reference.
    """
    require_function("js", js)
    seed = harness.draw_seed(seed)
    rng = np.random.default_rng(seed)
    size = int(rng.integers(3, 31))
    drawn = [_masses_with_zeros(rng, size) for _ in range(5)]
    pairs = _discrete_pairs(5)
    p, q = pairs[0]
    disjoint = (np.array([0.5, 0.5, 0.0, 0.0]), np.array([0.0, 0.0, 0.25, 0.75]))
    zeros = (np.array([0.2, 0.8, 0.0]), np.array([0.1, 0.3, 0.6]))

    def against_scipy(pairs):
        expected = np.array([_scipy_js(a, b) for a, b in pairs])

        def judge():
            received = np.array([to_scalar(harness.calling(js, a, b)()) for a, b in pairs])
            worst = float(np.max(np.abs(received - expected)))
            return f"max difference {fmt(worst, 3)}", close(expected, received, 1e-6, 1e-9)

        return judge

    def symmetric():
        forward, backward = to_scalar(harness.calling(js, p, q)()), to_scalar(harness.calling(js, q, p)())
        return f"{fmt(forward)} and {fmt(backward)}", close(forward, backward, 1e-9, 1e-12)

    return run(
        "check_js",
        [
            (
                f"{len(pairs)} Dirichlet pairs of 12 outcomes, as scipy (nats)",
                "max difference <= 1e-6",
                against_scipy(pairs),
            ),
            ("symmetric: js(p, q) = js(q, p)", "equal", symmetric),
            approx_case("equal distributions: 0", 0.0, harness.calling(js, p, p), atol=1e-9),
            approx_case("disjoint supports: log 2, the maximum", math.log(2.0), harness.calling(js, *disjoint)),
            approx_case("p has a zero where q has mass (0 log 0 = 0)", _scipy_js(*zeros), harness.calling(js, *zeros)),
            (
                f"random: 5 pairs of {size} outcomes with zeros, as scipy",
                "max difference <= 1e-6",
                against_scipy(drawn),
            ),
        ],
        show,
        seed,
    )


def _gaussian_masses(grid, mean, std):
    return divergences.discretize(data.gaussian_pdf(grid, mean, std), grid)


def check_optimal_discriminator(optimal_discriminator, show=True, seed=None):
    """Check ``optimal_discriminator(p_data, p_g)``: ``D*(x) = p_data(x) / (p_data(x) + p_g(x))``.

    Goodfellow et al. (2014), Proposition 1, on densities given on a grid:
    two Gaussians (compared with ``wk.divergences.optimal_discriminator``),
    equal densities (``1/2`` everywhere), disjoint parts (1 where only
    the data has mass, 0 where only the generator has), and densities with
    zeros drawn from ``seed`` (printed).
    """
    require_function("optimal_discriminator", optimal_discriminator)
    seed = harness.draw_seed(seed)
    rng = np.random.default_rng(seed)
    size = int(rng.integers(5, 61))
    drawn = tuple(m * rng.uniform(0.5, 20.0) for m in _masses_with_zeros(rng, size))  # densities, not masses
    grid = np.linspace(-4.0, 4.0, 81)
    p_data, p_g = data.gaussian_pdf(grid, -1.0, 0.7), data.gaussian_pdf(grid, 1.0, 1.2)
    apart = (np.array([0.5, 0.5, 0.0, 0.0]), np.array([0.0, 0.0, 0.5, 0.5]))
    return run(
        "check_optimal_discriminator",
        [
            array_case(
                "densities of N(-1, 0.7^2) and N(1, 1.2^2) on 81 points",
                divergences.optimal_discriminator(p_data, p_g),
                harness.calling(optimal_discriminator, p_data, p_g),
            ),
            array_case(
                "p_g = p_data: 1/2 everywhere",
                np.full(grid.shape, 0.5),
                harness.calling(optimal_discriminator, p_data, p_data),
            ),
            array_case(
                "disjoint parts: 1 on the data's, 0 on the generator's",
                [1.0, 1.0, 0.0, 0.0],
                harness.calling(optimal_discriminator, *apart),
            ),
            array_case(
                f"random: densities on {size} points, zeros on either side",
                divergences.optimal_discriminator(*drawn),
                harness.calling(optimal_discriminator, *drawn),
            ),
        ],
        show,
        seed,
    )


def check_gan_value(gan_value, show=True, seed=None):
    """Check ``gan_value(p_data, p_g)``: ``C(G) = E_data log D* + E_g log(1 - D*)`` on discrete masses.

    Goodfellow et al. (2014), Theorem 1: ``C(G) = -log 4 + 2 JS(P_data,
    P_g)``, with its minimum ``-log 4`` at ``P_g = P_data`` and its maximum 0
    for disjoint supports, where ``0 log 0 = 0`` must be used; masses with
    zeros on either side are drawn from ``seed`` (printed).
    """
    require_function("gan_value", gan_value)
    seed = harness.draw_seed(seed)
    rng = np.random.default_rng(seed)
    size = int(rng.integers(3, 41))
    drawn = _masses_with_zeros(rng, size)
    grid = np.linspace(-4.0, 4.0, 81)
    p_data, p_g = _gaussian_masses(grid, -1.0, 0.7), _gaussian_masses(grid, 1.0, 1.2)
    apart = (np.array([0.5, 0.5, 0.0, 0.0]), np.array([0.0, 0.0, 0.25, 0.75]))
    partly = (np.array([0.5, 0.3, 0.2, 0.0]), np.array([0.0, 0.2, 0.3, 0.5]))

    def theorem_1(p, q):
        return -math.log(4.0) + 2.0 * divergences.js(p, q)

    return run(
        "check_gan_value",
        [
            approx_case(
                "two Gaussians on a grid: -log 4 + 2 JS",
                theorem_1(p_data, p_g),
                harness.calling(gan_value, p_data, p_g),
            ),
            approx_case("P_g = P_data: the minimum -log 4", -math.log(4.0), harness.calling(gan_value, p_data, p_data)),
            approx_case("disjoint supports: 0 (0 log 0 = 0)", 0.0, harness.calling(gan_value, *apart), atol=1e-9),
            approx_case(
                "overlapping in part, zeros on both sides", theorem_1(*partly), harness.calling(gan_value, *partly)
            ),
            approx_case(
                f"random: {size} outcomes, zeros on both sides: -log 4 + 2 JS",
                theorem_1(*drawn),
                harness.calling(gan_value, *drawn),
            ),
        ],
        show,
        seed,
    )
