"""GAN, WGAN and WGAN-GP: Algorithm 1 to the letter, metrics, errors, Keras options."""

import math

import numpy as np
import pytest
import tensorflow as tf

import keras
import wgan_keras as wk


def mlp(n_in, n_out, name, hidden=16, batch_norm=False, bias_init="zeros"):
    x = inputs = keras.Input((n_in,))
    for _ in range(2):
        x = keras.layers.Dense(hidden, activation="relu", bias_initializer=bias_init)(x)
        if batch_norm:
            x = keras.layers.BatchNormalization()(x)
    return keras.Model(inputs, keras.layers.Dense(n_out, bias_initializer=bias_init)(x), name=name)


def nets(**kwargs):
    return mlp(2, 2, "generator"), mlp(2, 1, "critic", **kwargs)


def numbered_batches(n_batches, batch=8, dim=2):
    """Batch k is filled with the value k: which batch a step saw is readable."""
    values = np.repeat(np.arange(n_batches, dtype="float32"), batch * dim).reshape(-1, dim)
    return tf.data.Dataset.from_tensor_slices(values).batch(batch, drop_remainder=True)


def gaussian_batches(batch=16, seed=0):
    data = np.random.default_rng(seed).normal(size=(batch * 64, 2)).astype("float32")
    return tf.data.Dataset.from_tensor_slices(data).batch(batch, drop_remainder=True).repeat()


class Recording:
    """Mixin recording the real batch of every critic update (eager mode)."""

    def critic_objective(self, real, fake, training=True):
        self.seen.append(float(np.mean(real.numpy())))
        loss, logs = super().critic_objective(real, fake, training)
        self.critic_losses.append(float(loss.numpy()))
        return loss, logs


class RecordingWGANGP(Recording, wk.WGANGP):
    pass


class RecordingGAN(Recording, wk.GAN):
    pass


def recording(cls, **kwargs):
    model = cls(*nets(), seed=0, **kwargs)
    model.seen, model.critic_losses = [], []
    model.compile(run_eagerly=True)
    return model


# ------------------------------------------------------------- Algorithm 1
def test_each_critic_update_gets_a_fresh_real_batch():
    model = recording(RecordingWGANGP, n_critic=5)
    model.fit(numbered_batches(40), epochs=1, steps_per_epoch=3, verbose=0)
    # 3 generator iterations x 5 critic updates, on batches 0, 1, ..., 14 in order.
    assert model.seen == [float(k) for k in range(15)]
    assert int(model.generator_iterations.numpy()) == 3
    assert int(model.critic_optimizer.iterations.numpy()) == 15
    assert int(model.generator_optimizer.iterations.numpy()) == 3


def test_gan_uses_one_fresh_batch_per_discriminator_update():
    model = recording(RecordingGAN, n_discriminator=2)
    model.fit(numbered_batches(10), epochs=1, steps_per_epoch=3, verbose=0)
    assert model.seen == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_history_holds_epoch_means_not_the_last_batch():
    model = recording(RecordingWGANGP, n_critic=2)
    history = model.fit(gaussian_batches(), epochs=1, steps_per_epoch=4, verbose=0)
    assert len(model.critic_losses) == 8
    assert history.history["critic_loss"][0] == pytest.approx(np.mean(model.critic_losses), rel=1e-5)
    assert history.history["critic_loss"][0] != pytest.approx(model.critic_losses[-1], rel=1e-3)


def test_wgan_gp_metrics_are_consistent():
    model = wk.WGANGP(*nets(), gp_weight=10.0, seed=1)
    model.compile()
    h = model.fit(gaussian_batches(), epochs=1, steps_per_epoch=3, verbose=0).history
    assert set(h) == {"critic_loss", "generator_loss", "wasserstein_estimate", "gradient_penalty", "gradient_norm"}
    # critic_loss = -W + lambda * GP holds per update, hence for the means.
    assert h["critic_loss"][0] == pytest.approx(
        -h["wasserstein_estimate"][0] + 10.0 * h["gradient_penalty"][0], rel=1e-4, abs=1e-5
    )


def test_gan_js_estimate_is_log2_minus_half_the_loss():
    model = wk.GAN(*nets(), seed=0)
    model.compile()
    h = model.fit(gaussian_batches(), epochs=1, steps_per_epoch=3, verbose=0).history
    assert h["js_estimate"][0] == pytest.approx(math.log(2) - h["discriminator_loss"][0] / 2, rel=1e-5)


def test_wgan_clips_every_critic_variable_biases_included():
    generator = mlp(2, 2, "generator")
    critic = mlp(2, 1, "critic", batch_norm=True, bias_init=keras.initializers.Constant(0.5))
    model = wk.WGAN(generator, critic, n_critic=2, clip_value=0.01, critic_warmup=False, seed=0)
    model.compile(critic_optimizer=keras.optimizers.RMSprop(1e-2))
    model.fit(gaussian_batches(), epochs=1, steps_per_epoch=2, verbose=0)
    assert critic.trainable_variables
    for variable in critic.trainable_variables:
        values = variable.numpy()
        assert np.all(np.abs(values) <= 0.01 + 1e-7), variable.path
    # The biases started at 0.5: clipping, not the initializer, bounded them.
    biases = [v for v in critic.trainable_variables if "bias" in v.path]
    assert any(np.isclose(np.abs(b.numpy()), 0.01).any() for b in biases)


def test_wgan_official_warmup_schedule():
    model = wk.WGAN(*nets(), seed=0)
    assert [model.critic_iterations(g) for g in (0, 24, 25, 499, 500, 501, 1000)] == [
        100, 100, 5, 5, 100, 5, 100,
    ]
    model.compile()
    model.fit(gaussian_batches(), epochs=1, steps_per_epoch=2, verbose=0)
    assert int(model.critic_optimizer.iterations.numpy()) == 200
    custom = wk.WGAN(*nets(), n_critic=3, critic_warmup={"critic_iterations": 7, "first": 1, "every": 2}, seed=0)
    custom.compile()
    custom.fit(gaussian_batches(), epochs=1, steps_per_epoch=4, verbose=0)
    # Iterations 0 and 2 warm up (7 updates: 2 chunks of 3 and a partial 1), 1 and 3 use 3.
    assert int(custom.critic_optimizer.iterations.numpy()) == 7 + 3 + 7 + 3
    plain = wk.WGAN(*nets(), critic_warmup=False, seed=0)
    plain.compile()
    plain.fit(gaussian_batches(), epochs=1, steps_per_epoch=2, verbose=0)
    assert int(plain.critic_optimizer.iterations.numpy()) == 10


def test_paper_optimizers_by_default():
    wgan = wk.WGAN(*nets(), seed=0)
    wgan.compile()
    for opt in (wgan.generator_optimizer, wgan.critic_optimizer):
        assert isinstance(opt, keras.optimizers.RMSprop)
        # The official (PyTorch) code's RMSprop: alpha 0.99, eps 1e-8 outside the root.
        assert (float(opt.learning_rate), opt.rho, opt.epsilon) == pytest.approx((5e-5, 0.99, 1e-16))
    gp = wk.WGANGP(*nets(), seed=0)
    gp.compile()
    for opt in (gp.generator_optimizer, gp.critic_optimizer):
        assert isinstance(opt, keras.optimizers.Adam)
        assert (float(opt.learning_rate), opt.beta_1, opt.beta_2, opt.epsilon) == pytest.approx((1e-4, 0.0, 0.9, 1e-8))
    gan = wk.GAN(*nets(), seed=0)
    gan.compile()
    for opt in (gan.generator_optimizer, gan.discriminator_optimizer):
        assert isinstance(opt, keras.optimizers.Adam)
        assert (float(opt.learning_rate), opt.beta_1) == pytest.approx((2e-4, 0.5))
    gan = wk.GAN(*nets(), seed=0)
    gan.compile(discriminator_optimizer=keras.optimizers.SGD(0.1))
    assert isinstance(gan.discriminator_optimizer, keras.optimizers.SGD)
    assert isinstance(gan.generator_optimizer, keras.optimizers.Adam)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_keras_compile_options_pass_through(jit_compile):
    model = wk.WGANGP(*nets(), seed=0)
    model.compile(jit_compile=jit_compile, steps_per_execution=2)
    assert model.jit_compile is jit_compile and model.steps_per_execution == 2
    h = model.fit(gaussian_batches(), epochs=1, steps_per_epoch=4, verbose=0).history
    assert np.isfinite(h["critic_loss"][0])
    assert int(model.generator_iterations.numpy()) == 4


def test_penalty_second_order_gradient_is_the_same_under_xla():
    """XLA changes the random stream (TF's stateless RNG picks another
    algorithm), so compare the maths on fixed inputs: the gradient of the
    WGAN-GP critic loss w.r.t. the critic's weights, through the penalty."""
    critic = mlp(2, 1, "critic")
    rng = np.random.default_rng(0)
    real, fake = (tf.constant(rng.normal(size=(32, 2)), "float32") for _ in range(2))
    eps = tf.constant(rng.uniform(size=(32,)), "float32")

    def loss_gradients():
        with tf.GradientTape() as tape:
            penalty = wk.losses.gradient_penalty(critic, real, fake, eps=eps)
            loss = wk.losses.wasserstein_critic_loss(critic(real), critic(fake)) + 10.0 * penalty
        return tape.gradient(loss, critic.trainable_variables)

    graph = tf.function(loss_gradients, jit_compile=False)()
    xla = tf.function(loss_gradients, jit_compile=True)()
    # The output bias cancels in E f(fake) - E f(real): its gradient is exactly 0.
    assert sum(float(tf.reduce_max(tf.abs(a))) > 0 for a in graph) == len(graph) - 1
    for a, b in zip(graph, xla):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)


def test_numpy_input_is_batched_and_seeded():
    data = np.random.default_rng(0).normal(size=(256, 2)).astype("float32")
    generator, critic = nets()
    variables = generator.weights + critic.weights
    initial = [v.numpy() for v in variables]

    def train(seed):
        for variable, value in zip(variables, initial):
            variable.assign(value)
        model = wk.WGANGP(generator, critic, seed=seed)
        model.compile(jit_compile=False)
        history = model.fit(data, batch_size=32, epochs=2, verbose=0).history
        # 256 samples / 32 = 8 batches = 1 generator iteration of 5 per epoch (3 left over).
        assert int(model.generator_iterations.numpy()) == 2 and len(history["critic_loss"]) == 2
        return history["critic_loss"], [v.numpy() for v in variables]

    (loss_a, weights_a), (loss_b, weights_b), (loss_c, _) = train(3), train(3), train(4)
    assert loss_a == loss_b
    for a, b in zip(weights_a, weights_b):
        np.testing.assert_array_equal(a, b)
    assert loss_a != loss_c  # the seed drives the shuffle and the noise


def test_validation_reports_held_out_critic_estimate_without_touching_the_training_stream():
    model = wk.WGANGP(*nets(), seed=0)
    model.compile()
    val = tf.data.Dataset.from_tensor_slices(np.ones((64, 2), "float32")).batch(16)
    h = model.fit(gaussian_batches(), epochs=2, steps_per_epoch=2, validation_data=val, verbose=0).history
    assert len(h["val_wasserstein_estimate"]) == 2
    assert "val_gradient_penalty" not in h
    state = model.train_seed.state.numpy().copy()
    model.evaluate(val, verbose=0)
    np.testing.assert_array_equal(model.train_seed.state.numpy(), state)


def test_the_model_draws_interpolation_weights_uniform_per_sample(monkeypatch):
    """The model's own eps (not only the pure function's) is U[0, 1], one per sample."""
    drawn = []
    interpolate = wk.losses.interpolate

    def recording_interpolate(real, fake, eps):
        drawn.append(np.asarray(eps))
        return interpolate(real, fake, eps)

    monkeypatch.setattr(wk.losses, "interpolate", recording_interpolate)
    model = wk.WGANGP(*nets(), seed=0)
    real, fake = tf.ones((4000, 2)), tf.zeros((4000, 2))
    _, logs = model.critic_objective(real, fake)
    (eps,) = drawn
    assert eps.shape == (4000,)
    assert eps.min() >= 0.0 and eps.max() <= 1.0
    assert abs(eps.mean() - 0.5) < 0.02 and abs(eps.var() - 1 / 12) < 0.006
    # The logged penalty is the pure function's on those same weights.
    expected = wk.losses.gradient_penalty(model.critic, real, fake, eps=eps)
    assert float(logs["gradient_penalty"]) == pytest.approx(float(expected), rel=1e-6)


def test_a_short_wgan_gp_run_brings_samples_closer_to_8_gaussians():
    """Exact W1 (optimal assignment) to held-out data, before and after training."""
    model = wk.WGANGP(
        wk.nets.mlp_generator(latent_dim=2, output_shape=(2,), hidden=64, depth=3, seed=0),
        wk.nets.mlp_critic(input_shape=(2,), hidden=64, depth=3, seed=0),
        gp_weight=0.1,  # the official toy code's lambda
        seed=0,
    )
    model.compile(
        generator_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9),
        critic_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9),
    )
    reference = wk.data.toy("8gaussians", 1000, seed=1)
    before = wk.metrics.wasserstein1(model.generate(1000, seed=2), reference)
    model.fit(wk.data.toy_dataset("8gaussians", batch_size=256, seed=0), epochs=1, steps_per_epoch=150, verbose=0)
    after = wk.metrics.wasserstein1(model.generate(1000, seed=2), reference)
    # Measured here: 1.34 at initialization, 0.41 after 100 iterations, 0.24 after 200.
    assert after < 0.4 * before, (before, after)


# ---------------------------------------------------------------- sampling
def test_generate_is_seeded_and_does_not_touch_the_training_stream():
    model = wk.WGANGP(*nets(), seed=0)
    a, b = model.generate(50, seed=4), model.generate(50, seed=4)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (50, 2) and isinstance(a, np.ndarray)
    state = model.train_seed.state.numpy().copy()
    c, d = model.generate(30), model.generate(30)
    assert not np.allclose(c, d)
    np.testing.assert_array_equal(model.train_seed.state.numpy(), state)
    assert model.generate(2500, batch_size=1000).shape == (2500, 2)


# ------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "build, match",
    [
        (lambda g, c: wk.WGAN(g, c, n_critic=0), "n_critic"),
        (lambda g, c: wk.WGANGP(g, c, n_critic=1.5), "n_critic"),
        (lambda g, c: wk.WGANGP(g, c, gp_weight=-1.0), "gp_weight"),
        (lambda g, c: wk.WGAN(g, c, clip_value=0.0), "clip_value"),
        (lambda g, c: wk.WGAN(g, c, clip_value=-0.01), "clip_value"),
        (lambda g, c: wk.GAN(g, c, loss="hinge"), "non_saturating"),
        (lambda g, c: wk.WGAN(g, c, critic_warmup="yes"), "critic_warmup"),
        (lambda g, c: wk.WGANGP(g, mlp(3, 1, "critic")), "does not fit"),
        (lambda g, c: wk.WGANGP("generator", c), "generator must be a keras.Model"),
        (lambda g, c: wk.GAN(g, c, n_critic=5), "n_discriminator"),
    ],
)
def test_bad_arguments_are_named(build, match):
    with pytest.raises(ValueError, match=match):
        build(*nets())


def test_wrong_data_shape_fails_before_training():
    model = wk.WGANGP(*nets(), seed=0)
    model.compile()
    wrong = tf.data.Dataset.from_tensor_slices(np.zeros((64, 3), "float32")).batch(8, drop_remainder=True)
    with pytest.raises(ValueError, match="sample shape"):
        model.fit(wrong, epochs=1, verbose=0)
    ragged = tf.data.Dataset.from_tensor_slices(np.zeros((60, 2), "float32")).batch(8)
    with pytest.raises(ValueError, match="drop_remainder"):
        model.fit(ragged, epochs=1, verbose=0)
    assert int(model.generator_iterations.numpy()) == 0


def test_compile_rejects_a_single_optimizer_and_fit_requires_compile():
    model = wk.WGANGP(*nets(), seed=0)
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(gaussian_batches(), epochs=1, steps_per_epoch=1, verbose=0)
    with pytest.raises(ValueError, match="generator_optimizer"):
        model.compile(optimizer="adam")
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two different"):
        model.compile(generator_optimizer=shared, critic_optimizer=shared)


def test_warmup_with_steps_per_execution_is_refused():
    model = wk.WGAN(*nets(), seed=0)
    model.compile(steps_per_execution=4)
    with pytest.raises(ValueError, match="critic_warmup=False"):
        model.fit(gaussian_batches(), epochs=1, steps_per_epoch=4, verbose=0)


def test_batch_norm_critic_warns_under_wgan_gp():
    with pytest.warns(UserWarning, match="BatchNormalization"):
        wk.WGANGP(mlp(2, 2, "generator"), mlp(2, 1, "critic", batch_norm=True))


def test_divergence_stops_with_the_loss_name_and_step():
    model = wk.WGANGP(*nets(), seed=0)
    model.compile()
    data = np.random.default_rng(0).normal(size=(64 * 16, 2)).astype("float32")
    data[8 * 16 * 5 + 3] = np.nan  # a NaN in the 9th generator iteration's data
    stream = tf.data.Dataset.from_tensor_slices(data).batch(16, drop_remainder=True)
    with pytest.raises(wk.TrainingDiverged, match="critic_loss") as info:
        model.fit(stream, epochs=1, verbose=0)
    assert info.value.generator_iteration == 9
    assert "critic_loss" in info.value.losses
