"""Checks of notebook 03 (WGAN-GP): the interpolation and the gradient penalty.

WGAN-GP (Gulrajani et al. 2017), Algorithm 1 lines 4-7:
``eps ~ U[0, 1]`` per sample, ``x^ = eps x + (1 - eps) x~``, and the penalty
``(||grad_{x^} D(x^)||_2 - 1)^2`` with the norm over all non-batch axes
(Section 4, eq. 3). A correct penalty passes every case whatever numbers it
draws: the closed forms do not depend on the weights, the gradients are
compared at the points the critic was evaluated at, and the statistical
cases allow six standard errors.
"""

import math

import numpy as np
from keras import ops

from wgan_keras import losses
from wgan_keras.arrays import to_numpy
from wgan_keras.exercises import harness, probes
from wgan_keras.exercises.harness import Once, approx_case, array_case, fmt, require_function, run, to_scalar

#: Samples of the statistical cases (the recording and the quadratic critic).
STATISTICAL_SAMPLES = 2048
#: Kolmogorov-Smirnov bound for ``U[0, 1]`` weights at ``STATISTICAL_SAMPLES``:
#: a uniform sample exceeds it with probability about 2 exp(-2 n D^2) < 1e-6.
KS_BOUND = 0.06
#: The quadratic case passes within this many standard errors of the exact mean.
STANDARD_ERRORS = 6.0
#: The shapes a random case draws from: a few, since JAX compiles its operations once per shape
#: (a new shape at each call of a check costs seconds); the values drawn are new each time.
RANDOM_SHAPES = ((6, 5), (16, 7), (5, 3, 3, 2), (12, 4, 2, 3))


def check_interpolate(interpolate, show=True, seed=None):
    """Check ``interpolate(real, fake, eps)``: ``eps x + (1 - eps) x~`` (WGAN-GP Algorithm 1, line 6).

    ``eps`` holds one weight per sample, shape ``(batch,)``; it must broadcast
    over every other axis (vectors and images), and ``eps = 1`` gives the
    real sample. A batch of random rank, shape and weights is drawn from
    ``seed`` (printed).
    """
    require_function("interpolate", interpolate)
    seed = harness.draw_seed(seed)
    drawn = np.random.default_rng(seed)
    shape = RANDOM_SHAPES[int(drawn.integers(len(RANDOM_SHAPES)))]
    randoms = [drawn.standard_normal(shape).astype("float32") for _ in range(2)]
    eps_random = drawn.random(shape[0]).astype("float32")
    rng = np.random.default_rng(3)
    vectors = [rng.standard_normal((5, 3)).astype("float32") for _ in range(2)]
    images = [rng.standard_normal((4, 5, 5, 3)).astype("float32") for _ in range(2)]
    eps_vectors = rng.random(5).astype("float32")
    eps_images = rng.random(4).astype("float32")

    def call(real, fake, eps):
        return lambda: interpolate(ops.convert_to_tensor(real), ops.convert_to_tensor(fake), ops.convert_to_tensor(eps))

    def expected(real, fake, eps):
        return to_numpy(losses.interpolate(real, fake, eps))

    return run(
        "check_interpolate",
        [
            array_case(
                "vectors (5, 3), one weight per sample", expected(*vectors, eps_vectors), call(*vectors, eps_vectors)
            ),
            array_case(
                "images (4, 5, 5, 3), one weight per image", expected(*images, eps_images), call(*images, eps_images)
            ),
            array_case(
                "eps = 1 gives the real samples (x^ = eps x + (1 - eps) x~)",
                images[0],
                call(*images, np.ones(4, "float32")),
            ),
            array_case("eps = 0 gives the fake samples", images[1], call(*images, np.zeros(4, "float32"))),
            array_case(
                f"random: {shape}, one weight per sample", expected(*randoms, eps_random), call(*randoms, eps_random)
            ),
        ],
        show,
        seed,
    )


def check_penalty(penalty, show=True, seed=None):
    """Check ``penalty(critic, real, fake)``: ``E[(||grad D(x^)||_2 - 1)^2]`` (WGAN-GP eq. 3, without lambda).

    The function draws its own ``eps ~ U[0, 1]``, one per sample, and takes
    the norm over all non-batch axes. Cases: linear critics on vectors and
    images (closed form ``(||A|| - 1)^2``), TF-GAN's reference value, a critic
    that records where it is evaluated (on the segments, weights in [0, 1],
    one per sample, uniform), the mean over many samples of a quadratic
    critic (whose exact mean over ``eps ~ U[0, 1]`` is what
    ``wk.losses.gradient_penalty`` averages to), and a flat critic. The
    penalty trains the critic (Algorithm 1, line 9), so it is differentiated
    w.r.t. the critic's weights as the training step does and compared with
    closed forms: ``2 (||A|| - 1) A / ||A||`` for a linear critic, and for
    ``f(x) = sum_j a_j x_j^2 / 2`` the mean over the samples of
    ``2 (n_i - 1) a x^_i^2 / n_i`` with ``n_i = ||a x^_i||`` at the points
    ``x^_i`` the critic was evaluated at; 0 for the flat critic. A penalty
    behind ``stop_gradient``, with a detached input gradient (no nested
    tape), or returned as a Python float fails those. Random critics and
    data are drawn from ``seed`` (printed).
    """
    require_function("penalty", penalty)
    seed = harness.draw_seed(seed)
    return run("check_penalty", _penalty_cases(penalty, False, seed), show, seed)


def check_one_sided_penalty(one_sided_penalty, show=True, seed=None):
    """Check ``one_sided_penalty(critic, real, fake)``: ``E[max(0, ||grad D(x^)|| - 1)^2]``.

    The one-sided variant of WGAN-GP Section 4 ("we could also penalize only
    gradient norms above 1"; ``wk.losses.gradient_penalty(one_sided=True)``):
    no penalty where the critic is flatter than 1-Lipschitz. The same cases
    as :func:`check_penalty`, gradients included (``2 max(0, n - 1) ...``).
    """
    require_function("one_sided_penalty", one_sided_penalty)
    seed = harness.draw_seed(seed)
    return run("check_one_sided_penalty", _penalty_cases(one_sided_penalty, True, seed), show, seed)


def _excess(norms, one_sided):
    excess = np.asarray(norms, np.float64) - 1.0
    return np.square(np.maximum(excess, 0.0) if one_sided else excess)


def _slope(norms, one_sided):
    """``d excess^2 / d norm``: ``2 (n - 1)``, or ``2 max(0, n - 1)`` for the one-sided penalty."""
    excess = np.asarray(norms, np.float64) - 1.0
    return 2.0 * (np.maximum(excess, 0.0) if one_sided else excess)


def _norm(values, axis=None):
    """The norm the library takes, ``sqrt(sum g^2 + 1e-12)`` (``wk.losses.gradient_norms``)."""
    return np.sqrt(np.sum(np.square(np.asarray(values, np.float64)), axis=axis) + 1e-12)


WEIGHTS = "the critic's weights"


def _linear_cases(penalty, one_sided, label, shape, norm, weights_seed, real, fake, value=True, gradient=True):
    """The value ``(||A|| - 1)^2`` and the gradient ``2 (||A|| - 1) A / ||A||`` (0 for the bias) of a linear critic."""
    weights = probes.linear_weights(shape, norm, weights_seed)
    exact = _norm(weights.astype("float32"))  # the float32 weights the critic holds
    cases = []
    if value:
        expected = float(_excess(exact, one_sided))
        formula = f"max(0, {norm:.3g} - 1)^2" if one_sided else f"({norm:.3g} - 1)^2"
        cases.append(
            approx_case(
                f"{label}, ||A|| = {norm:.3g}",
                expected,
                harness.calling(penalty, probes.LinearCritic(weights), real, fake),
                rtol=1e-4,
                atol=1e-5,
                expected_text=f"{formula} = {expected:.6g}",
            )
        )
    if gradient:
        slope = float(_slope(exact, one_sided))
        expected = np.append(slope * weights.astype("float32").astype(np.float64).ravel() / exact, 0.0)

        def judge():
            critic = probes.LinearCritic(weights, bias=0.5)
            _, (kernel, bias) = harness.differentiate(
                harness.calling(penalty, critic, real, fake), critic.trainable_variables, WEIGHTS
            )
            return harness.gradient_text(expected, np.append(kernel.ravel(), bias))

        text = f"{fmt(slope / exact, 4)} A w.r.t. A, 0 w.r.t. b" if slope else "0 w.r.t. A and b"
        cases.append((f"{label}, ||A|| = {norm:.3g}: gradient", text, judge))
    return cases


def _penalty_cases(penalty, one_sided, seed):
    rng = np.random.default_rng(7)
    cases = []

    def data(shape, batch):
        return tuple(rng.standard_normal((batch,) + shape).astype("float32") for _ in range(2))

    vectors, images = data((3,), 64), data((4, 4, 3), 8)
    cases += _linear_cases(penalty, one_sided, "linear critic on vectors (64, 3)", (3,), 3.0, 1, *vectors)
    if one_sided:
        cases += _linear_cases(
            penalty, one_sided, "linear critic on vectors (64, 3)", (3,), 0.5, 2, *vectors, gradient=False
        )
        cases += _linear_cases(
            penalty, one_sided, "linear critic on images (8, 4, 4, 3)", (4, 4, 3), 0.5, 4, *images, gradient=False
        )
    cases += _linear_cases(
        penalty, one_sided, "linear critic on images (8, 4, 4, 3)", (4, 4, 3), 3.0, 3, *images, gradient=one_sided
    )
    if not one_sided:
        # Below 1 the two-sided penalty pushes the norm up: its gradient points along A.
        cases += _linear_cases(
            penalty, one_sided, "linear critic on images (8, 4, 4, 3)", (4, 4, 3), 0.5, 4, *images, value=False
        )
        real, fake = np.array([[1.0, 2.0, 3.0, 4.0]], "float32"), np.array([[-1.0, 0.5, 2.0, 0.0]], "float32")
        cases.append(
            approx_case(
                "TF-GAN reference: D(x) = 2 sum(x) on one 1x4 input",
                9.0,
                harness.calling(penalty, probes.LinearCritic(np.full(4, 2.0)), real, fake),
                rtol=1e-4,
                atol=1e-5,
                expected_text="(4 - 1)^2 = 9",
            )
        )
    cases += _recording_cases(penalty)
    cases.append(_quadratic_case(penalty, one_sided))
    label, scales = "quadratic critic, a = [0.5, 1, 1.5]", np.array([0.5, 1.0, 1.5])
    cases.append(_quadratic_gradient_case(penalty, one_sided, label, scales, np.random.default_rng(19), 64))
    cases += _flat_cases(penalty, one_sided)
    cases += _random_cases(penalty, one_sided, seed)
    return cases


def _random_cases(penalty, one_sided, seed):
    """A linear critic and a quadratic one of random shapes, weights and data, drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    batch, *shape = RANDOM_SHAPES[int(rng.integers(len(RANDOM_SHAPES)))]
    shape = tuple(shape)
    # Away from 1, where the gradient vanishes; the one-sided penalty only has one above 1.
    low = not one_sided and rng.random() < 0.5
    norm = float(rng.uniform(0.2, 0.7) if low else rng.uniform(1.5, 4.0))
    real, fake = (rng.standard_normal((batch,) + shape).astype("float32") for _ in range(2))
    label = f"random: linear critic on {(batch,) + shape}"
    cases = _linear_cases(penalty, one_sided, label, shape, norm, int(rng.integers(2**31)), real, fake)
    scales, batch = rng.uniform(0.5, 1.5, int(rng.choice([2, 5]))), 64
    label = f"random: quadratic critic on ({batch}, {len(scales)})"
    return cases + [_quadratic_gradient_case(penalty, one_sided, label, scales, rng, batch)]


def _recording_cases(penalty):
    """Where the critic was evaluated: on the segments between real and fake, weights U[0, 1]."""
    rng = np.random.default_rng(11)
    n = STATISTICAL_SAMPLES
    real = (rng.standard_normal((n, 3)) + np.array([3.0, 0.0, 0.0])).astype("float32")
    fake = (rng.standard_normal((n, 3)) - np.array([3.0, 0.0, 0.0])).astype("float32")

    def weights():
        critic = probes.RecordingCritic(probes.LinearCritic(np.array([2.0, -2.0, 1.0])))
        harness.calling(penalty, critic, real, fake)()
        found = [probes.segment_weights(b, real, fake) for b in _interpolates(critic, real, fake)]
        return np.concatenate([t for t, _ in found]), max(float(r.max()) for _, r in found), len(found)

    recorded = Once(weights)
    scale = float(np.linalg.norm(real - fake, axis=1).max())

    def on_segments():
        _, residual, _ = recorded()
        return f"largest distance {fmt(residual, 3)}", residual <= 1e-4 * scale

    def within_unit_interval():
        t, _, _ = recorded()
        return f"weights in [{fmt(t.min(), 4)}, {fmt(t.max(), 4)}]", t.min() >= -1e-4 and t.max() <= 1 + 1e-4

    def one_per_sample():
        t, _, _ = recorded()
        distinct = len(np.unique(np.round(t, 5)))
        return f"{distinct} distinct weights, std {fmt(t.std(), 3)}", distinct > len(t) // 2 and t.std() > 0.1

    def uniform():
        t, _, _ = recorded()
        statistic = _ks_uniform(t)
        return f"KS statistic {fmt(statistic, 3)}", statistic < KS_BOUND

    return [
        ("points on the segments between real_i and fake_i", "distance <= 1e-4", on_segments),
        ("interpolation weights within [0, 1]", "weights in [0, 1]", within_unit_interval),
        ("a fresh weight for each sample (not one per batch)", f"> {n // 2} distinct, std ~ 0.29", one_per_sample),
        (f"weights uniform on [0, 1] ({n} samples)", f"KS statistic < {KS_BOUND}", uniform),
    ]


def _interpolates(critic, real, fake):
    """The batches a recording critic saw that have the data's shape and are neither the real nor the fake batch."""
    seen = critic.batches()
    if not seen:
        raise harness.Mismatch("the critic was never called")
    batches = [b for b in seen if b.shape == real.shape]
    inside = [b for b in batches if not (np.allclose(b, real) or np.allclose(b, fake))]
    if not inside:
        raise harness.Mismatch(f"never evaluated between real and fake (saw shapes {[b.shape for b in seen]})")
    return inside


def _ks_uniform(t):
    t = np.sort(np.clip(t, 0.0, 1.0))
    n = len(t)
    return float(max(np.max(np.arange(1, n + 1) / n - t), np.max(t - np.arange(n) / n)))


def _quadratic_case(penalty, one_sided):
    """The mean over many samples of a quadratic critic, against its exact expectation over eps."""
    rng = np.random.default_rng(13)
    n = STATISTICAL_SAMPLES
    real = (np.array([1.5, 0.0]) + 0.1 * rng.standard_normal((n, 2))).astype("float32")
    fake = (np.array([-0.5, 0.0]) + 0.1 * rng.standard_normal((n, 2))).astype("float32")
    # Exact expectation over eps ~ U[0, 1] of each sample's term (midpoint rule),
    # the value wk.losses.gradient_penalty averages to on this critic.
    eps = (np.arange(2000) + 0.5) / 2000
    points = eps[None, :, None] * real[:, None, :] + (1 - eps[None, :, None]) * fake[:, None, :]
    terms = _excess(np.linalg.norm(points, axis=-1), one_sided)
    mean = float(terms.mean())
    tolerance = STANDARD_ERRORS * math.sqrt(float(terms.var(axis=1).sum())) / n

    def judge():
        received = to_scalar(harness.calling(penalty, probes.QuadraticCritic(), real, fake)())
        return fmt(received, 4), abs(received - mean) <= tolerance

    return f"quadratic critic, mean over {n} samples", f"{fmt(mean, 4)} +- {fmt(tolerance, 2)} (mean over eps)", judge


def _quadratic_gradient_case(penalty, one_sided, label, scales, rng, batch):
    """The gradient w.r.t. ``a`` of the penalty of ``f(x) = sum_j a_j x_j^2 / 2`` at the evaluated points.

    ``grad_x f = a x``, so with ``n_i = ||a x^_i||`` the penalty's gradient is
    ``mean_i 2 (n_i - 1) a x^_i^2 / n_i``: it depends on the interpolates,
    read off the recording critic (the student's own draw of ``eps``).
    """
    scales = np.asarray(scales, np.float64).astype("float32")
    dim = len(scales)
    # Real and fake on either side of 0, so that the norms along the segments run from ~0 to ~2.
    centre = rng.standard_normal(dim)
    centre *= 1.5 / np.linalg.norm(centre * scales)
    real = (centre + 0.3 * rng.standard_normal((batch, dim))).astype("float32")
    fake = (-0.6 * centre + 0.3 * rng.standard_normal((batch, dim))).astype("float32")
    a = scales.astype(np.float64)

    def judge():
        critic = probes.RecordingCritic(probes.QuadraticCritic(scales))
        _, (received,) = harness.differentiate(
            harness.calling(penalty, critic, real, fake), critic.trainable_variables, WEIGHTS, before=critic.clear
        )
        inside = _interpolates(critic, real, fake)
        if any(not np.array_equal(b, inside[0]) for b in inside[1:]):
            raise harness.Mismatch(f"evaluated the critic at {len(inside)} different batches of interpolates")
        points = inside[0]
        norms = _norm(a * points, axis=1)
        expected = np.mean((_slope(norms, one_sided) / norms)[:, None] * a * np.square(points), axis=0)
        return harness.gradient_text(expected, received)

    slope = "2 max(0, n - 1)" if one_sided else "2 (n - 1)"
    return f"{label}: gradient w.r.t. a", f"mean {slope} a x^2 / n at the x^ it used", judge


def _flat_cases(penalty, one_sided):
    """A critic with zero input gradient: the penalty is ``(0 - 1)^2``, its weight gradient 0 (finite)."""
    critic = probes.flat_critic((4,))
    rng = np.random.default_rng(17)
    real, fake = rng.standard_normal((2, 16, 4)).astype("float32")
    expected = 0.0 if one_sided else 1.0

    def gradient():
        _, (received,) = harness.differentiate(
            harness.calling(penalty, critic, real, fake), critic.trainable_variables, WEIGHTS
        )
        return harness.gradient_text(np.zeros((4, 1)), received)

    return [
        approx_case("flat critic (zero gradient): the penalty", expected, harness.calling(penalty, critic, real, fake)),
        ("flat critic: the gradient w.r.t. its weights", "0, finite (epsilon inside sqrt)", gradient),
    ]
