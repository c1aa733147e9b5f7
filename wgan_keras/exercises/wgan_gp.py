"""Checks of notebook 03 (WGAN-GP): the interpolation and the gradient penalty.

WGAN-GP (Gulrajani et al. 2017), Algorithm 1 lines 4-7:
``eps ~ U[0, 1]`` per sample, ``x^ = eps x + (1 - eps) x~``, and the penalty
``(||grad_{x^} D(x^)||_2 - 1)^2`` with the norm over all non-batch axes
(Section 4, eq. 3). A correct penalty passes every case whatever numbers it
draws: the closed forms do not depend on the weights, and the statistical
cases allow six standard errors.
"""

import math

import numpy as np
from keras import ops

from wgan_keras import losses
from wgan_keras.autodiff import value_and_gradients
from wgan_keras.exercises import harness, probes
from wgan_keras.exercises.harness import Once, approx_case, array_case, fmt, require_function, run, to_scalar

#: Samples of the statistical cases (the recording and the quadratic critic).
STATISTICAL_SAMPLES = 2048
#: Kolmogorov-Smirnov bound for ``U[0, 1]`` weights at ``STATISTICAL_SAMPLES``:
#: a uniform sample exceeds it with probability about 2 exp(-2 n D^2) < 1e-6.
KS_BOUND = 0.06
#: The quadratic case passes within this many standard errors of the exact mean.
STANDARD_ERRORS = 6.0


def check_interpolate(interpolate, show=True):
    """Check ``interpolate(real, fake, eps)``: ``eps x + (1 - eps) x~`` (WGAN-GP Algorithm 1, line 6).

    ``eps`` holds one weight per sample, shape ``(batch,)``; it must broadcast
    over every other axis (vectors and images), and ``eps = 1`` gives the
    real sample.
    """
    require_function("interpolate", interpolate)
    rng = np.random.default_rng(3)
    vectors = [rng.standard_normal((5, 3)).astype("float32") for _ in range(2)]
    images = [rng.standard_normal((4, 5, 5, 3)).astype("float32") for _ in range(2)]
    eps_vectors = rng.random(5).astype("float32")
    eps_images = rng.random(4).astype("float32")

    def call(real, fake, eps):
        return lambda: interpolate(ops.convert_to_tensor(real), ops.convert_to_tensor(fake), ops.convert_to_tensor(eps))

    def expected(real, fake, eps):
        return ops.convert_to_numpy(losses.interpolate(real, fake, eps))

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
        ],
        show,
    )


def check_penalty(penalty, show=True):
    """Check ``penalty(critic, real, fake)``: ``E[(||grad D(x^)||_2 - 1)^2]`` (WGAN-GP eq. 3, without lambda).

    The function draws its own ``eps ~ U[0, 1]``, one per sample, and takes
    the norm over all non-batch axes. Cases: linear critics on vectors and
    images (closed form ``(||A|| - 1)^2``), TF-GAN's reference value, a critic
    that records where it is evaluated (on the segments, weights in [0, 1],
    one per sample, uniform), the mean over many samples of a quadratic
    critic (whose exact mean over ``eps ~ U[0, 1]`` is what
    ``wk.losses.gradient_penalty`` averages to), and a flat critic whose
    weight gradient must be finite.
    """
    require_function("penalty", penalty)
    return run("check_penalty", _penalty_cases(penalty, one_sided=False), show)


def check_one_sided_penalty(one_sided_penalty, show=True):
    """Check ``one_sided_penalty(critic, real, fake)``: ``E[max(0, ||grad D(x^)|| - 1)^2]``.

    The one-sided variant of WGAN-GP Section 4 ("we could also penalize only
    gradient norms above 1"; ``wk.losses.gradient_penalty(one_sided=True)``):
    no penalty where the critic is flatter than 1-Lipschitz.
    """
    require_function("one_sided_penalty", one_sided_penalty)
    return run("check_one_sided_penalty", _penalty_cases(one_sided_penalty, one_sided=True), show)


def _excess(norms, one_sided):
    excess = np.asarray(norms, np.float64) - 1.0
    return np.square(np.maximum(excess, 0.0) if one_sided else excess)


def _penalty_cases(penalty, one_sided):
    rng = np.random.default_rng(7)
    cases = []

    def linear_case(label, shape, norm, seed, batch):
        weights = probes.linear_weights(shape, norm, seed)
        real = rng.standard_normal((batch,) + shape).astype("float32")
        fake = rng.standard_normal((batch,) + shape).astype("float32")
        expected = float(_excess(norm, one_sided))
        formula = f"max(0, {norm:g} - 1)^2" if one_sided else f"({norm:g} - 1)^2"
        cases.append(
            approx_case(
                f"linear critic on {label}, ||A|| = {norm:g}",
                expected,
                lambda: penalty(probes.LinearCritic(weights), real, fake),
                rtol=1e-4,
                atol=1e-5,
                expected_text=f"{formula} = {expected:g}",
            )
        )

    linear_case("vectors (64, 3)", (3,), 3.0, 1, 64)
    if one_sided:
        linear_case("vectors (64, 3)", (3,), 0.5, 2, 64)
        linear_case("images (8, 4, 4, 3)", (4, 4, 3), 0.5, 4, 8)
    linear_case("images (8, 4, 4, 3)", (4, 4, 3), 3.0, 3, 8)
    if not one_sided:
        real, fake = np.array([[1.0, 2.0, 3.0, 4.0]], "float32"), np.array([[-1.0, 0.5, 2.0, 0.0]], "float32")
        cases.append(
            approx_case(
                "TF-GAN reference: D(x) = 2 sum(x) on one 1x4 input",
                9.0,
                lambda: penalty(probes.LinearCritic(np.full(4, 2.0)), real, fake),
                rtol=1e-4,
                atol=1e-5,
                expected_text="(4 - 1)^2 = 9",
            )
        )
    cases += _recording_cases(penalty)
    cases.append(_quadratic_case(penalty, one_sided))
    cases += _flat_cases(penalty, one_sided)
    return cases


def _recording_cases(penalty):
    """Where the critic was evaluated: on the segments between real and fake, weights U[0, 1]."""
    rng = np.random.default_rng(11)
    n = STATISTICAL_SAMPLES
    real = (rng.standard_normal((n, 3)) + np.array([3.0, 0.0, 0.0])).astype("float32")
    fake = (rng.standard_normal((n, 3)) - np.array([3.0, 0.0, 0.0])).astype("float32")

    def weights():
        critic = probes.RecordingCritic(probes.LinearCritic(np.array([2.0, -2.0, 1.0])))
        penalty(critic, real, fake)
        seen = critic.batches()
        if not seen:
            raise harness.Mismatch("the critic was never called")
        batches = [b for b in seen if b.shape == real.shape]
        inside = [b for b in batches if not (np.allclose(b, real) or np.allclose(b, fake))]
        if not inside:
            raise harness.Mismatch(f"never evaluated between real and fake (saw shapes {[b.shape for b in seen]})")
        found = [probes.segment_weights(b, real, fake) for b in inside]
        return np.concatenate([t for t, _ in found]), max(float(r.max()) for _, r in found), len(inside)

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
        received = to_scalar(penalty(probes.QuadraticCritic(), real, fake))
        return fmt(received, 4), abs(received - mean) <= tolerance

    return f"quadratic critic, mean over {n} samples", f"{fmt(mean, 4)} +- {fmt(tolerance, 2)} (mean over eps)", judge


def _flat_cases(penalty, one_sided):
    """A critic with zero input gradient: the penalty and its weight gradient must be finite."""
    critic = probes.flat_critic((4,))
    rng = np.random.default_rng(17)
    real, fake = rng.standard_normal((2, 16, 4)).astype("float32")

    def value_and_gradient():
        value, gradients = value_and_gradients(lambda: penalty(critic, real, fake), critic.trainable_variables)
        return to_scalar(value), ops.convert_to_numpy(gradients[0])

    computed = Once(value_and_gradient)
    expected = 0.0 if one_sided else 1.0

    def value():
        received, _ = computed()
        return fmt(received, 4), abs(received - expected) <= 1e-3

    def gradient():
        _, grad = computed()
        finite = bool(np.all(np.isfinite(grad)))
        return ("finite" if finite else f"{int(np.sum(~np.isfinite(grad)))} of {grad.size} NaN/inf"), finite

    return [
        ("flat critic (zero gradient): the penalty", fmt(expected), value),
        ("flat critic: the gradient w.r.t. its weights", "finite (epsilon inside sqrt)", gradient),
    ]
