"""Checks of notebook 04 (experiments): the median filter of WGAN Figure 3 and exact W1 in 1-D.

* ``median_filter(values, window=101)``: the running median the WGAN paper
  passes its curves through (Figures 3-4), with windows truncated at the
  ends as ``wk.plots.median_filter`` does.
* ``wasserstein_1d(x, y)``: the earth mover distance of WGAN eq. (1)
  between two 1-D samples of equal size, by sorting.

Beside the fixed cases each check draws one from its ``seed`` (printed);
the student's function gets copies, the expected values are computed first.
"""

import numpy as np
import scipy.stats

from wgan_keras import plots
from wgan_keras.exercises import harness
from wgan_keras.exercises.harness import Once, approx_case, array_case, fmt, require_function, run, to_array, to_scalar


def check_median_filter(median_filter, show=True, seed=None):
    """Check ``median_filter(values, window=101)`` against ``wk.plots.median_filter``.

    Point ``i`` becomes the median of ``values[i - h : i + h + 1]``,
    ``h = window // 2``, the window cut to the points that exist near the
    ends (no zero or edge padding; an even count gives the mean of the
    middle two). Cases: the middle and both ends of a random walk, a series
    shorter than the window, a small explicit one, a constant series, and
    a series of random length and odd window drawn from ``seed`` (printed).
    """
    require_function("median_filter", median_filter)
    seed = harness.draw_seed(seed)
    drawn_rng = np.random.default_rng(seed)
    drawn_window = 2 * int(drawn_rng.integers(0, 76)) + 1
    drawn = np.cumsum(drawn_rng.standard_normal(int(drawn_rng.integers(5, 301)))) * drawn_rng.uniform(0.1, 10.0)
    rng = np.random.default_rng(21)
    walk = np.cumsum(rng.standard_normal(500)) + 5.0
    short = rng.standard_normal(30)
    small = np.array([1.0, 9.0, 2.0, 8.0, 3.0, 7.0, 4.0])

    def filtered(values, window):
        return lambda: to_array(median_filter(values.copy(), window))

    def part(compute, where):
        return lambda: compute()[where]

    reference = plots.median_filter(walk, 101)
    once = Once(filtered(walk, 101))

    def length():
        received = once()
        return f"shape {received.shape}", received.shape == walk.shape

    middle, first, last = slice(50, 450), slice(0, 50), slice(450, 500)
    return run(
        "check_median_filter",
        [
            ("random walk of 500 points, window 101: same length", "shape (500,)", length),
            array_case("points 50-449 (full windows)", reference[middle], part(once, middle), atol=1e-9),
            array_case("first 50 points (windows cut at the start)", reference[first], part(once, first), atol=1e-9),
            array_case("last 50 points (windows cut at the end)", reference[last], part(once, last), atol=1e-9),
            array_case(
                "30 points, window 101 (longer than the series)",
                plots.median_filter(short, 101),
                filtered(short, 101),
                atol=1e-9,
            ),
            array_case("[1, 9, 2, 8, 3, 7, 4], window 5", plots.median_filter(small, 5), filtered(small, 5), atol=1e-9),
            array_case(
                "a constant series stays constant, ends included",
                np.full(200, 7.0),
                filtered(np.full(200, 7.0), 101),
                atol=1e-9,
            ),
            array_case(
                f"random: a walk of {len(drawn)} points, window {drawn_window}",
                plots.median_filter(drawn, drawn_window),
                filtered(drawn, drawn_window),
                atol=1e-9,
            ),
        ],
        show,
        seed,
    )


def _same_mean(values, mean=0.0):
    return values - np.mean(values) + mean


def _crossing_samples(rng):
    """A Gaussian and a bimodal sample of a random size whose quantile functions cross.

    Where they cross, ``W1 > |mean x - mean y|``: drawn again (from the same
    generator) until the gap is at least 1% of W1.
    """
    while True:
        size = int(rng.integers(20, 501))
        x = rng.standard_normal(size) * rng.uniform(0.3, 3.0)
        modes = rng.choice([-1.0, 1.0], size) * rng.uniform(1.0, 4.0)
        y = _same_mean(modes + 0.5 * rng.standard_normal(size), np.mean(x) + rng.uniform(-1.0, 1.0))
        gaps = np.sort(x) - np.sort(y)
        if np.mean(np.abs(gaps)) - abs(np.mean(gaps)) >= 0.01 * np.mean(np.abs(gaps)):
            return size, x, y


def check_wasserstein_1d(wasserstein_1d, show=True, seed=None):
    """Check ``wasserstein_1d(x, y)``: ``W1 = mean |sort(x) - sort(y)|`` for equal sizes (WGAN eq. 1).

    In one dimension the optimal transport plan pairs the order statistics.
    Compared with ``scipy.stats.wasserstein_distance``; a shift by ``c``
    costs ``|c|``; the order of the samples does not matter; symmetric.
    Samples whose quantile functions cross, where W1 is not the difference
    of the means (``|mean x - mean y|`` is 0 there): two Gaussians of equal
    mean and different spreads, a bimodal sample against a unimodal one of
    the same mean, and two samples of random sizes and shapes drawn from
    ``seed`` (printed).
    """
    require_function("wasserstein_1d", wasserstein_1d)
    seed = harness.draw_seed(seed)
    size, drawn_x, drawn_y = _crossing_samples(np.random.default_rng(seed))
    rng = np.random.default_rng(23)
    x, y = rng.standard_normal(1000), 0.5 + 2.0 * rng.standard_exponential(1000)
    narrow, wide = _same_mean(rng.standard_normal(1000)), _same_mean(3.0 * rng.standard_normal(1000))
    bimodal = _same_mean(rng.choice([-2.0, 2.0], 1000) + 0.3 * rng.standard_normal(1000))
    ramp = np.arange(8.0)

    def scipy_case(name, a, b):
        expected = float(scipy.stats.wasserstein_distance(a, b))
        return approx_case(name, expected, harness.calling(wasserstein_1d, a, b), rtol=1e-9, atol=1e-12)

    def symmetric():
        forward = to_scalar(harness.calling(wasserstein_1d, x, y)())
        backward = to_scalar(harness.calling(wasserstein_1d, y, x)())
        return f"{fmt(forward)} and {fmt(backward)}", abs(forward - backward) <= 1e-9 * max(1.0, abs(forward))

    return run(
        "check_wasserstein_1d",
        [
            scipy_case("N(0, 1) against 0.5 + Exp(1/2), 1000 points each, as scipy", x, y),
            approx_case(
                "a shift by 2.5: W1(x, x + 2.5) = 2.5", 2.5, harness.calling(wasserstein_1d, x, x + 2.5), rtol=1e-9
            ),
            approx_case(
                "the same points in reverse order: 0",
                0.0,
                harness.calling(wasserstein_1d, ramp, ramp[::-1]),
                atol=1e-12,
            ),
            approx_case(
                "point masses: W1(five 0s, five 1s) = 1",
                1.0,
                harness.calling(wasserstein_1d, np.zeros(5), np.ones(5)),
                rtol=1e-9,
            ),
            ("symmetric: W1(x, y) = W1(y, x)", "equal", symmetric),
            scipy_case("equal means, spreads 1 and 3 (quantiles cross), as scipy", narrow, wide),
            scipy_case("bimodal +-2 against N(0, 1), equal means, as scipy", bimodal, narrow),
            scipy_case(f"random: {size} points each, quantiles crossing, as scipy", drawn_x, drawn_y),
        ],
        show,
        seed,
    )
