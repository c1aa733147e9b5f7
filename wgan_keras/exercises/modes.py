"""Checks of notebook 05 (stability and modes): mode coverage on Gaussian mixtures.

The toy-mixture metrics of VEEGAN (Srivastava et al. 2017, Section 5.1) and
PacGAN (Lin et al. 2018, Section 5), as ``wk.metrics.mode_coverage`` computes
them:

* ``modes_captured(samples, centers, std) -> (modes, high_quality)``: a
  sample is high quality when it lies within 3 standard deviations
  (Euclidean) of its *nearest* centre; a mode is captured when it is the
  nearest centre of at least one high-quality sample.
* ``reverse_kl(counts)``: ``KL(p || u)`` between the histogram ``p`` of the
  high-quality samples over the ``K`` modes and the uniform ``u_k = 1/K``.

Beside the fixed cases each check draws one from its ``seed`` (printed);
the student's function gets copies, the expected values are computed first.
"""

import math

import numpy as np
import scipy.special

from wgan_keras import data
from wgan_keras.exercises import harness
from wgan_keras.exercises.harness import Mismatch, approx_case, fmt, require_function, run, to_scalar
from wgan_keras.metrics import mode_coverage


def _pair(value):
    if isinstance(value, dict):
        if not {"modes", "high_quality"} <= set(value):
            raise Mismatch("a dict without the keys 'modes' and 'high_quality'")
        value = (value["modes"], value["high_quality"])
    try:
        modes, quality = value
    except (TypeError, ValueError) as error:
        raise Mismatch(f"not a pair (modes, high_quality): {type(value).__name__}") from error
    return to_scalar(modes, "modes"), to_scalar(quality, "high_quality")


def _random_mixture(rng):
    """Samples of a random 2-D mixture: some of its modes covered, plus uniform noise; centres, std."""
    k = int(rng.integers(3, 16))
    centers = rng.uniform(-4.0, 4.0, (k, 2))
    std = float(rng.uniform(0.05, 0.3))
    covered = rng.choice(k, int(rng.integers(1, k + 1)), replace=False)
    n = int(rng.integers(50, 400))
    near = centers[rng.choice(covered, n)] + std * rng.uniform(0.5, 1.5) * rng.standard_normal((n, 2))
    noise = rng.uniform(-5.0, 5.0, (int(rng.integers(0, 100)), 2))
    return np.concatenate([near, noise]), centers, std


def check_modes_captured(modes_captured, show=True, seed=None):
    """Check ``modes_captured(samples, centers, std) -> (modes, high_quality)`` (VEEGAN / PacGAN).

    Constructed cases: real 25-Gaussian samples (all 25 modes, compared with
    ``wk.metrics.mode_coverage``), samples on one centre, just inside and
    just outside 3 std, a sample near a centre but nearer another, the
    Euclidean distance rather than one coordinate at a time, no
    high-quality sample, a partial cover of the 8 Gaussians, and a random
    mixture drawn from ``seed`` (printed).
    """
    require_function("modes_captured", modes_captured)
    seed = harness.draw_seed(seed)
    drawn, drawn_centers, drawn_std = _random_mixture(np.random.default_rng(seed))
    grid, grid_std = data.toy_modes("25gaussians")
    ring, ring_std = data.toy_modes("8gaussians")
    real = data.toy("25gaussians", 2500, seed=31)
    rng = np.random.default_rng(37)
    partial = np.concatenate(
        [
            ring[rng.integers(0, 3, 300)] + ring_std * rng.standard_normal((300, 2)),
            rng.uniform(-1.5, 1.5, (200, 2)),
        ]
    )
    pair_a = np.array([[0.0, 0.0], [4.0, 0.0]])

    def case(name, samples, centers, std, expected=None):
        if expected is None:
            reference = mode_coverage(samples, centers, std)
            expected = (reference["modes"], reference["high_quality"])

        def judge():
            modes, quality = _pair(harness.calling(modes_captured, np.asarray(samples), np.asarray(centers), std)())
            text = f"modes {fmt(modes)}, high quality {fmt(quality, 4)}"
            return text, modes == expected[0] and abs(quality - expected[1]) <= 1e-9

        return name, f"modes {expected[0]}, high quality {fmt(expected[1], 4)}", judge

    return run(
        "check_modes_captured",
        [
            case("2500 real samples of the 25 Gaussians", real, grid, grid_std),
            case("every sample on one centre", np.repeat(grid[:1], 50, axis=0), grid, grid_std, (1, 1.0)),
            case(
                "at 2.9 and 3.1 std from a centre: only the first counts",
                np.array([[2.9, 0.0], [-3.1, 0.0]]),
                np.zeros((1, 2)),
                1.0,
                (1, 0.5),
            ),
            case(
                "2.5 std from centre A, 1.5 std from B: it counts for B only",
                np.array([[2.5, 0.0]]),
                pair_a,
                1.0,
                (1, 1.0),
            ),
            case(
                "(2.5 std, 2.5 std) off a centre is 3.54 std away (Euclidean)",
                np.array([[2.5, 2.5]]),
                np.zeros((1, 2)),
                1.0,
                (0, 0.0),
            ),
            case("no high-quality sample: 0 modes", np.full((10, 2), 10.0), grid, grid_std, (0, 0.0)),
            case("8 Gaussians: 3 modes plus uniform noise, as mode_coverage", partial, ring, ring_std),
            case(
                f"random: {len(drawn_centers)} modes, {len(drawn)} samples, as mode_coverage",
                drawn,
                drawn_centers,
                drawn_std,
            ),
        ],
        show,
        seed,
    )


def check_reverse_kl(reverse_kl, show=True, seed=None):
    """Check ``reverse_kl(counts)``: ``sum_k p_k log(p_k K)`` with ``p = counts / sum(counts)``.

    0 when every mode gets the same share, ``log K`` when one mode gets all;
    empty modes contribute ``0 log 0 = 0``; the value depends on the shares
    only; compared with ``wk.metrics.mode_coverage``'s ``reverse_kl``; and
    counts with empty modes drawn from ``seed`` (printed), against scipy's
    ``rel_entr``.
    """
    require_function("reverse_kl", reverse_kl)
    seed = harness.draw_seed(seed)
    drawn_rng = np.random.default_rng(seed)
    drawn = drawn_rng.integers(0, 200, int(drawn_rng.integers(2, 31)))
    drawn[drawn_rng.random(len(drawn)) < 0.3] = 0
    drawn[drawn_rng.integers(len(drawn))] += 1  # never all empty
    shares = drawn / drawn.sum()
    drawn_kl = float(np.sum(scipy.special.rel_entr(shares, np.full(len(drawn), 1.0 / len(drawn)))))
    ring, ring_std = data.toy_modes("8gaussians")
    rng = np.random.default_rng(41)
    which = rng.choice(5, size=400, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    samples = ring[which] + ring_std * rng.standard_normal((400, 2))
    reference = mode_coverage(samples, ring, ring_std)
    uneven = np.array([10, 0, 30, 0, 60])

    def kl_uniform(counts):
        shares = counts / counts.sum()
        shares = shares[shares > 0]
        return float(np.sum(shares * np.log(shares * len(counts))))

    def call(counts):
        return harness.calling(reverse_kl, np.array(counts))

    return run(
        "check_reverse_kl",
        [
            approx_case("even counts over 8 modes: 0", 0.0, call(np.full(8, 40)), atol=1e-9),
            approx_case("all samples in 1 of 25 modes: log 25", math.log(25), call(np.eye(25, dtype=int)[0] * 100)),
            approx_case("[10, 0, 30, 0, 60]: empty modes add 0 log 0 = 0", kl_uniform(uneven), call(uneven)),
            approx_case("shares only: [100, 0, 300, 0, 600] as above", kl_uniform(uneven), call(uneven * 10)),
            approx_case(
                "8 Gaussians, 5 modes unevenly: as wk.metrics.mode_coverage",
                reference["reverse_kl"],
                call(reference["counts"]),
            ),
            approx_case(f"random: {len(drawn)} modes, some empty: as scipy's rel_entr", drawn_kl, call(drawn)),
        ],
        show,
        seed,
    )
