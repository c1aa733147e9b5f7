"""Divergences, critics trained against fixed samples, generator gradients, Figure 1a's measures."""

import math

import keras
import numpy as np
import pytest
from scipy import stats

import wgan_keras as wk
from wgan_keras import divergences as dv


def small_critic(dim=1, hidden=64, seed=None):
    x = inputs = keras.Input((dim,))
    for _ in range(2):
        x = keras.layers.Dense(hidden, activation="relu")(x)
    critic = keras.Model(inputs, keras.layers.Dense(1)(x), name="critic")
    if seed is not None:
        # Glorot-uniform kernels and zero biases from numpy: the same start on every backend.
        rng = np.random.default_rng(seed)
        critic.set_weights(
            [
                rng.uniform(-1, 1, w.shape) * np.sqrt(6 / sum(w.shape)) if w.ndim == 2 else np.zeros(w.shape)
                for w in critic.get_weights()
            ]
        )
    return critic


# ------------------------------------------------------------ divergences
def test_divergences_of_disjoint_supports():
    p = np.array([0.5, 0.5, 0.0, 0.0])
    q = np.array([0.0, 0.0, 0.25, 0.75])
    assert dv.kl(p, q) == math.inf
    assert dv.js(p, q) == pytest.approx(math.log(2))
    assert dv.tv(p, q) == pytest.approx(1.0)
    grid = np.arange(4.0)
    # Mass 1/2 at 0 and 1 moves to 2 (1/4) and 3 (3/4): optimal cost 2.25.
    assert dv.em_1d(grid, p, q) == pytest.approx(2.25)


def test_divergences_against_hand_computed_values():
    p = np.array([0.2, 0.8])
    q = np.array([0.6, 0.4])
    assert dv.kl(p, q) == pytest.approx(0.2 * math.log(0.2 / 0.6) + 0.8 * math.log(0.8 / 0.4))
    m = (p + q) / 2
    want_js = 0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m))
    assert dv.js(p, q) == pytest.approx(want_js)
    assert dv.tv(p, q) == pytest.approx(0.4)


def test_optimal_discriminator_value_is_minus_log4_plus_twice_js():
    grid = np.linspace(-6, 8, 2001)
    p = dv.discretize(lambda x: wk.data.gaussian_pdf(x, 0.0, 1.0), grid)
    q = dv.discretize(lambda x: wk.data.gaussian_pdf(x, 1.5, 0.7), grid)
    d_star = dv.optimal_discriminator(p, q)
    assert np.all((d_star >= 0) & (d_star <= 1))
    assert dv.gan_value_at_optimum(p, q) == pytest.approx(-math.log(4) + 2 * dv.js(p, q), rel=1e-9)
    # Identical distributions: D* = 1/2 everywhere and C(G) = -log 4.
    assert dv.gan_value_at_optimum(p, p) == pytest.approx(-math.log(4))
    # EM between two unit-variance Gaussians is the distance of their means.
    r = dv.discretize(lambda x: wk.data.gaussian_pdf(x, 1.5, 1.0), grid)
    assert dv.em_1d(grid, p, r) == pytest.approx(1.5, rel=1e-3)


# ------------------------------------------------------ critics and GANs
def test_gradient_penalty_critic_estimates_the_wasserstein_distance():
    rng = np.random.default_rng(0)
    real = rng.normal(0.0, 1.0, size=(4096, 1))
    fake = rng.normal(2.0, 1.0, size=(4096, 1))
    exact = stats.wasserstein_distance(real[:, 0], fake[:, 0])  # about 2
    result = wk.critics.fit_critic(
        small_critic(),
        real,
        fake,
        method="gp",
        steps=400,
        batch_size=256,
        optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9),
    )
    # Kantorovich-Rubinstein gives W1 = sup over 1-Lipschitz f. The penalty is
    # soft: for translated distributions the best critic is linear with slope k
    # maximising W k - lambda (k - 1)^2, so k = 1 + W / (2 lambda) and the
    # estimate E f(real) - E f(fake) = W k (2.24 for W = 2.04, lambda = 10).
    slope = 1 + exact / (2 * 10.0)
    assert result["wasserstein_estimate"] == pytest.approx(exact * slope, rel=0.03)


def test_clipped_critic_is_bounded_and_ranks_distances():
    rng = np.random.default_rng(1)
    real = rng.normal(0.0, 1.0, size=(2048, 1))
    near, far = rng.normal(0.5, 1.0, size=(2048, 1)), rng.normal(3.0, 1.0, size=(2048, 1))
    estimates = []
    for fake in (near, far):
        critic = small_critic()
        result = wk.critics.fit_critic(
            critic, real, fake, method="clip", steps=200, optimizer=keras.optimizers.RMSprop(1e-3)
        )
        assert all(np.abs(v.numpy()).max() <= 0.01 + 1e-7 for v in critic.trainable_variables)
        estimates.append(result["wasserstein_estimate"])
    # Clipping estimates W up to an unknown constant, but the order is kept.
    assert 0 < estimates[0] < estimates[1]


def test_discriminator_on_disjoint_supports_reports_js_near_log2():
    rng = np.random.default_rng(2)
    real = rng.uniform(-1.0, 0.0, size=(2048, 1))
    fake = rng.uniform(1.0, 2.0, size=(2048, 1))
    result = wk.critics.fit_critic(
        small_critic(), real, fake, method="gan", steps=300, optimizer=keras.optimizers.Adam(1e-2)
    )
    assert result["js_estimate"] == pytest.approx(math.log(2), abs=0.02)


def test_fit_critic_rejects_bad_arguments():
    x = np.zeros((10, 1))
    with pytest.raises(ValueError, match="method"):
        wk.critics.fit_critic(small_critic(), x, x, method="hinge")
    with pytest.raises(ValueError, match="steps"):
        wk.critics.fit_critic(small_critic(), x, x, steps=0)
    with pytest.raises(ValueError, match="sample shape"):
        wk.critics.fit_critic(small_critic(), x, np.zeros((10, 2)))
    with pytest.raises(ValueError, match="record_every"):
        wk.critics.fit_critic(small_critic(), x, x, record_every=0)


def test_fit_critic_runs_the_models_own_clipped_update_and_records_its_estimates():
    rng = np.random.default_rng(5)
    real, fake = rng.normal(0.0, 1.0, size=(512, 1)), rng.normal(1.0, 1.0, size=(512, 1))
    critic = small_critic(hidden=8)
    result = wk.critics.fit_critic(critic, real, fake, method="clip", steps=30, learning_rate=1e-3, record_every=10)
    assert [step for step, _ in result["history"]] == [10, 20, 30]
    assert result["history"][-1][1] == pytest.approx(result["wasserstein_estimate"])
    assert max(np.abs(v.numpy()).max() for v in critic.trainable_variables) == pytest.approx(0.01)


def test_minimax_generator_gradient_vanishes_against_a_confident_discriminator():
    """WGAN Section 3 / Arjovsky & Bottou Fig. 2: as D becomes optimal on
    disjoint supports, the minimax generator gradient vanishes, -log D does not."""
    gen_in = keras.Input((1,))
    # G(z) = 0.1 z + 3: far to the right of the real data, N(0, 0.1^2), whatever the noise draws.
    generator = keras.Model(
        gen_in,
        keras.layers.Dense(
            1, kernel_initializer=keras.initializers.Constant(0.1), bias_initializer=keras.initializers.Constant(3.0)
        )(gen_in),
    )
    rng = np.random.default_rng(3)
    real = rng.normal(0.0, 0.1, size=(2048, 1))
    fake = keras.ops.convert_to_numpy(generator(rng.normal(size=(2048, 1)).astype("float32")))
    discriminator = small_critic(seed=0)
    before = {
        o: wk.measures.generator_gradient_norm(generator, discriminator, o) for o in ("minimax", "non_saturating")
    }
    wk.critics.fit_critic(discriminator, real, fake, method="gan", steps=300, optimizer=keras.optimizers.Adam(1e-2))
    after = {o: wk.measures.generator_gradient_norm(generator, discriminator, o) for o in ("minimax", "non_saturating")}
    assert after["minimax"] < 0.01 * before["minimax"]
    assert after["non_saturating"] > 10 * after["minimax"]
    with pytest.raises(ValueError, match="objective"):
        wk.measures.generator_gradient_norm(generator, discriminator, "hinge")


# ------------------------------------- WGAN-GP Figure 1a's measurements
def test_fixed_generator_samples_are_the_data_plus_unit_gaussian_noise():
    real, fake = wk.critics.fixed_generator_samples("8gaussians", 20000, seed=3)
    np.testing.assert_array_equal(real, wk.data.toy("8gaussians", 20000, seed=3))
    noise = fake - real
    assert abs(noise.mean()) < 0.02 and abs(noise.std() - 1.0) < 0.02
    again = wk.critics.fixed_generator_samples("8gaussians", 20000, seed=3)[1]
    np.testing.assert_array_equal(fake, again)


def nearest_centre_bumps(centres):
    """f(x) = -min_k ||x - c_k||^2: one strict maximum on every centre."""

    def critic(points):
        points = np.asarray(points)
        return -np.min(np.sum((points[:, None, :] - centres[None]) ** 2, axis=-1), axis=1)

    return critic


@pytest.mark.parametrize("name", ["8gaussians", "25gaussians"])
def test_peaks_on_modes_finds_one_peak_per_bump(name):
    centres, _ = wk.data.toy_modes(name)
    assert wk.measures.peaks_on_modes(nearest_centre_bumps(centres), centres) == (len(centres), len(centres))
    # One bump at the origin: the central grid mode only, no ring mode (radius 2 / 1.414).
    origin = nearest_centre_bumps(np.zeros((1, 2)))
    assert wk.measures.peaks_on_modes(origin, centres) == (int(name == "25gaussians"), len(centres))


def test_a_flat_critic_has_no_peaks():
    centres, _ = wk.data.toy_modes("8gaussians")
    assert wk.measures.peaks_on_modes(lambda x: np.zeros(len(x)), centres) == (0, 8)


def test_normalised_margin_of_a_linear_critic():
    """f(x) = x_1 on N((1, 0), I) against N((-1, 0), I): gap 2, pooled std sqrt(2)."""
    inputs = keras.Input((2,))
    layer = keras.layers.Dense(1, use_bias=False)
    critic = keras.Model(inputs, layer(inputs))
    layer.set_weights([np.array([[1.0], [0.0]])])
    rng = np.random.default_rng(0)
    real = rng.normal(size=(40000, 2)) + [1.0, 0.0]
    fake = rng.normal(size=(40000, 2)) - [1.0, 0.0]
    assert wk.measures.normalised_margin(critic, real, fake) == pytest.approx(math.sqrt(2), rel=0.02)
    layer.set_weights([np.array([[1e-4], [0.0]])])  # the same function, scaled: the same margin
    assert wk.measures.normalised_margin(critic, real, fake) == pytest.approx(math.sqrt(2), rel=0.02)


# ------------------------------------------ WGAN Figure 4's JS estimate
def test_converged_js_estimate_is_near_log_2_for_disjoint_samples_and_near_0_for_one_distribution():
    """The bound 1/2 L + log 2 of a converged discriminator: JS = log 2 for disjoint supports, 0 for P = Q."""
    rng = np.random.default_rng(0)
    real, held_out_real = rng.normal(0.0, 1.0, size=(2, 2048, 2))
    far, held_out_far = rng.normal(8.0, 1.0, size=(2, 2048, 2))
    same, held_out_same = rng.normal(0.0, 1.0, size=(2, 2048, 2))

    def estimate(fake, held_out_fake):
        critic = small_critic(dim=2, seed=0)
        kwargs = dict(steps=300, batch_size=128, learning_rate=5e-3)
        return wk.critics.converged_js_estimate(critic, real, fake, held_out_real, held_out_fake, **kwargs)

    assert estimate(far, held_out_far)["js_estimate"] > np.log(2) - 0.03
    assert abs(estimate(same, held_out_same)["js_estimate"]) < 0.03
    with pytest.raises(ValueError, match="held_out_real and held_out_fake"):
        wk.critics.converged_js_estimate(small_critic(dim=2), real, far, held_out_real, np.zeros((5, 3)))
