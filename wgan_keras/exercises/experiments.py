"""Checks of notebook 04 (experiments): the median filter of WGAN Figure 3 and exact W1 in 1-D.

* ``median_filter(values, window=101)``: the running median the WGAN paper
  passes its curves through (Figures 3-4), with windows truncated at the
  ends as ``wk.plots.median_filter`` does.
* ``wasserstein_1d(x, y)``: the earth mover distance of WGAN eq. (1)
  between two 1-D samples of equal size, by sorting.
"""

import numpy as np
import scipy.stats

from wgan_keras import plots
from wgan_keras.exercises.harness import Once, approx_case, array_case, fmt, require_function, run, to_array, to_scalar


def check_median_filter(median_filter, show=True):
    """Check ``median_filter(values, window=101)`` against ``wk.plots.median_filter``.

    Point ``i`` becomes the median of ``values[i - h : i + h + 1]``,
    ``h = window // 2``, the window cut to the points that exist near the
    ends (no zero or edge padding; an even count gives the mean of the
    middle two). Cases: the middle and both ends of a random walk, a series
    shorter than the window, a small explicit one, a constant series.
    """
    require_function("median_filter", median_filter)
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
        ],
        show,
    )


def check_wasserstein_1d(wasserstein_1d, show=True):
    """Check ``wasserstein_1d(x, y)``: ``W1 = mean |sort(x) - sort(y)|`` for equal sizes (WGAN eq. 1).

    In one dimension the optimal transport plan pairs the order statistics.
    Compared with ``scipy.stats.wasserstein_distance``; a shift by ``c``
    costs ``|c|``; the order of the samples does not matter; symmetric.
    """
    require_function("wasserstein_1d", wasserstein_1d)
    rng = np.random.default_rng(23)
    x, y = rng.standard_normal(1000), 0.5 + 2.0 * rng.standard_exponential(1000)
    ramp = np.arange(8.0)

    def symmetric():
        forward, backward = to_scalar(wasserstein_1d(x, y)), to_scalar(wasserstein_1d(y, x))
        return f"{fmt(forward)} and {fmt(backward)}", abs(forward - backward) <= 1e-9 * max(1.0, abs(forward))

    return run(
        "check_wasserstein_1d",
        [
            approx_case(
                "N(0, 1) against 0.5 + Exp(1/2), 1000 points each, as scipy",
                float(scipy.stats.wasserstein_distance(x, y)),
                lambda: wasserstein_1d(x, y),
                rtol=1e-9,
            ),
            approx_case("a shift by 2.5: W1(x, x + 2.5) = 2.5", 2.5, lambda: wasserstein_1d(x, x + 2.5), rtol=1e-9),
            approx_case(
                "the same points in reverse order: 0", 0.0, lambda: wasserstein_1d(ramp, ramp[::-1].copy()), atol=1e-12
            ),
            approx_case(
                "point masses: W1(five 0s, five 1s) = 1",
                1.0,
                lambda: wasserstein_1d(np.zeros(5), np.ones(5)),
                rtol=1e-9,
            ),
            ("symmetric: W1(x, y) = W1(y, x)", "equal", symmetric),
        ],
        show,
    )
