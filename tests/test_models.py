"""GAN, WGAN and WGAN-GP: Algorithm 1 to the letter, metrics, errors, Keras options, on every backend."""

import gc
import math
import os
import weakref

import keras
import numpy as np
import pytest
from conftest import BACKEND, jax_only, needs_tensorflow, tensorflow_only
from keras import ops

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


def numbered_samples(n_batches, batch=8, dim=2):
    """Batch k is filled with the value k: which batch a step saw is readable (fit with shuffle=False)."""
    return np.repeat(np.arange(n_batches, dtype="float32"), batch * dim).reshape(-1, dim)


def gaussian_samples(batch=16, seed=0, batches=64):
    return np.random.default_rng(seed).normal(size=(batch * batches, 2)).astype("float32")


def record(store, value):
    """Append the mean of ``value`` to ``store`` when the step runs (eager, traced or jitted)."""
    if BACKEND == "jax":
        import jax

        jax.debug.callback(lambda v: store.append(float(np.mean(v))), value, ordered=True)
    else:
        store.append(float(np.mean(ops.convert_to_numpy(value))))


class Recording:
    """Mixin recording the real batch and the loss of every critic update."""

    def critic_objective(self, real, fake, training=True, seed=None):
        record(self.seen, real)
        loss, logs = super().critic_objective(real, fake, training, seed)
        record(self.critic_losses, loss)
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


def counts(model):
    return tuple(
        int(ops.convert_to_numpy(v))
        for v in (model.generator_iterations, model.critic_optimizer.iterations, model.generator_optimizer.iterations)
    )


# ------------------------------------------------------------- Algorithm 1
def test_each_critic_update_gets_a_fresh_real_batch():
    model = recording(RecordingWGANGP, n_critic=5)
    model.fit(numbered_samples(40), batch_size=8, shuffle=False, epochs=1, steps_per_epoch=3, verbose=0)
    # 3 generator iterations x 5 critic updates, on batches 0, 1, ..., 14 in order.
    assert model.seen == [float(k) for k in range(15)]
    assert counts(model) == (3, 15, 3)


def test_gan_uses_one_fresh_batch_per_discriminator_update():
    model = recording(RecordingGAN, n_discriminator=2)
    model.fit(numbered_samples(10), batch_size=8, shuffle=False, epochs=1, steps_per_epoch=3, verbose=0)
    assert model.seen == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_a_second_fit_continues_the_stream_where_the_first_stopped():
    model = recording(RecordingWGANGP, n_critic=2)
    data = numbered_samples(12)
    model.fit(data, batch_size=8, shuffle=False, epochs=1, steps_per_epoch=2, verbose=0)
    model.fit(data, batch_size=8, shuffle=False, epochs=1, steps_per_epoch=2, verbose=0)
    assert model.seen == [float(k) for k in range(8)]


def test_a_fit_on_other_data_reads_that_data_from_where_the_model_stands():
    # On TensorFlow the fits of a model share one tf.data pipeline per element shape: it must follow x.
    model = recording(RecordingWGANGP, n_critic=2)
    data = numbered_samples(12)
    model.fit(data, batch_size=8, shuffle=False, epochs=1, steps_per_epoch=2, verbose=0)
    model.fit(data + 100, batch_size=8, shuffle=False, epochs=1, steps_per_epoch=2, verbose=0)
    assert model.seen == [0.0, 1.0, 2.0, 3.0, 104.0, 105.0, 106.0, 107.0]


@pytest.mark.parametrize("steps_per_epoch", [2, 0], ids=["completed", "refused"])
def test_the_model_keeps_no_reference_to_the_data_after_fit(steps_per_epoch):
    model = wk.WGANGP(*nets(), seed=0)
    model.compile()
    data = gaussian_samples()
    reference = weakref.ref(data)
    if steps_per_epoch:
        model.fit(data, batch_size=16, epochs=1, steps_per_epoch=steps_per_epoch, verbose=0)
    else:
        with pytest.raises(ValueError, match="steps_per_epoch"):
            model.fit(data, batch_size=16, epochs=1, steps_per_epoch=steps_per_epoch, verbose=0)
    del data
    gc.collect()
    assert reference() is None


def test_history_holds_epoch_means_not_the_last_batch():
    model = recording(RecordingWGANGP, n_critic=2)
    history = model.fit(gaussian_samples(), batch_size=16, epochs=1, steps_per_epoch=4, verbose=0)
    assert len(model.critic_losses) == 8
    assert history.history["critic_loss"][0] == pytest.approx(np.mean(model.critic_losses), rel=1e-5)
    assert history.history["critic_loss"][0] != pytest.approx(model.critic_losses[-1], rel=1e-3)


def test_wgan_gp_metrics_are_consistent():
    model = wk.WGANGP(*nets(), gp_weight=10.0, seed=1)
    model.compile()
    h = model.fit(gaussian_samples(), batch_size=16, epochs=1, steps_per_epoch=3, verbose=0).history
    assert set(h) == {"critic_loss", "generator_loss", "wasserstein_estimate", "gradient_penalty", "gradient_norm"}
    # critic_loss = -W + lambda * GP holds per update, hence for the means.
    assert h["critic_loss"][0] == pytest.approx(
        -h["wasserstein_estimate"][0] + 10.0 * h["gradient_penalty"][0], rel=1e-4, abs=1e-5
    )


def test_gan_js_estimate_is_log2_minus_half_the_loss():
    model = wk.GAN(*nets(), seed=0)
    model.compile()
    h = model.fit(gaussian_samples(), batch_size=16, epochs=1, steps_per_epoch=3, verbose=0).history
    assert h["js_estimate"][0] == pytest.approx(math.log(2) - h["discriminator_loss"][0] / 2, rel=1e-5)


def test_wgan_clips_every_critic_variable_biases_included():
    generator = mlp(2, 2, "generator")
    critic = mlp(2, 1, "critic", batch_norm=True, bias_init=keras.initializers.Constant(0.5))
    model = wk.WGAN(generator, critic, n_critic=2, clip_value=0.01, critic_warmup=False, seed=0)
    model.compile(critic_optimizer=keras.optimizers.RMSprop(1e-2))
    model.fit(gaussian_samples(), batch_size=16, epochs=1, steps_per_epoch=2, verbose=0)
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
        100,
        100,
        5,
        5,
        100,
        5,
        100,
    ]
    model.compile()
    model.fit(gaussian_samples(), batch_size=16, epochs=1, steps_per_epoch=2, verbose=0)
    assert counts(model) == (2, 200, 2)
    custom = wk.WGAN(*nets(), n_critic=3, critic_warmup={"critic_iterations": 7, "first": 1, "every": 2}, seed=0)
    custom.compile()
    custom.fit(gaussian_samples(), batch_size=16, epochs=1, steps_per_epoch=4, verbose=0)
    # Iterations 0 and 2 warm up (7 updates: 2 chunks of 3 and a partial 1), 1 and 3 use 3.
    assert counts(custom)[1] == 7 + 3 + 7 + 3
    plain = wk.WGAN(*nets(), critic_warmup=False, seed=0)
    plain.compile()
    plain.fit(gaussian_samples(), batch_size=16, epochs=1, steps_per_epoch=2, verbose=0)
    assert counts(plain)[1] == 10


def test_wgan_warmup_never_starves_an_epoch_of_its_generator_iterations():
    """10,000 samples in batches of 64 feed 31 iterations of 5 critic updates per pass; the
    warm-up's 100 updates per early iteration read further passes, not fewer iterations."""
    model = wk.WGAN(*nets(), seed=0)
    model.compile()
    data = gaussian_samples(batch=100, batches=100)
    with pytest.warns(UserWarning, match="data is repeated") as warned:
        history = model.fit(data, batch_size=64, epochs=3, verbose=0)
    (repeated,) = [w for w in warned if "data is repeated" in str(w.message)]
    assert repeated.filename == __file__  # it names the user's call, not the library
    assert len(history.history["critic_loss"]) == 3
    assert history.params["steps"] == 31
    # Iterations 0-24 read 100 batches each, 25-92 five each.
    assert counts(model) == (93, 25 * 100 + 68 * 5, 93)


def test_an_input_too_small_for_one_generator_iteration_needs_steps_per_epoch():
    """Four batches per pass cannot make an epoch of whole iterations; with steps_per_epoch the stream reads on."""
    model = wk.WGANGP(*nets(), seed=0)
    model.compile()
    data = gaussian_samples(batch=64, batches=4)
    with pytest.raises(ValueError, match=r"fewer than one generator iteration needs \(n_critic = 5.*steps_per_epoch"):
        model.fit(data, batch_size=64, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"fewer than one batch of batch_size = 512"):
        model.fit(data, batch_size=512, epochs=1, steps_per_epoch=1, verbose=0)
    assert counts(model) == (0, 0, 0)
    model.fit(data, batch_size=64, epochs=1, steps_per_epoch=2, verbose=0)
    assert counts(model) == (2, 10, 2)


def test_integer_images_are_refused_with_the_conversion_to_use():
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16), keras.layers.Reshape((4, 4, 1))])
    critic = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    model = wk.WGANGP(generator, critic, seed=0)
    model.compile()
    pixels = np.random.default_rng(0).integers(0, 256, size=(640, 4, 4, 1)).astype("uint8")
    with pytest.raises(ValueError, match=r"127\.5 - 1"):
        model.fit(pixels, epochs=1, verbose=0)


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


def test_compile_learning_rate_sets_the_papers_optimizers_rate():
    gp = wk.build("wgan-gp", *nets(), seed=0)
    gp.compile(learning_rate=3e-4, beta_1=0.5)
    for opt in (gp.generator_optimizer, gp.critic_optimizer):
        assert (float(opt.learning_rate), opt.beta_1, opt.beta_2) == pytest.approx((3e-4, 0.5, 0.9))
    wgan = wk.build("wgan", *nets(), seed=0)
    wgan.compile(learning_rate=1e-3)
    assert float(wgan.critic_optimizer.learning_rate) == pytest.approx(1e-3) and wgan.critic_optimizer.rho == 0.99
    with pytest.raises(ValueError, match="beta_1"):
        wk.build("wgan", *nets(), seed=0).compile(beta_1=0.5)
    with pytest.raises(ValueError, match="learning_rate"):
        wk.build("gan", *nets(), seed=0).compile(learning_rate=-1.0)
    assert isinstance(wk.build("gan", *nets(), n_discriminator=2), wk.GAN)
    with pytest.raises(ValueError, match="'gan', 'wgan', 'wgan-gp'"):
        wk.build("dcgan", *nets())


@pytest.mark.parametrize("jit_compile", [False, True])
def test_keras_compile_options_pass_through(jit_compile):
    model = wk.WGANGP(*nets(), seed=0)
    if jit_compile and BACKEND == "torch":  # torch.compile of the step: refused (see test_reproducibility)
        with pytest.raises(ValueError, match=r"jit_compile=True \(torch.compile\)"):
            model.compile(jit_compile=jit_compile, steps_per_execution=2)
        return
    model.compile(jit_compile=jit_compile, steps_per_execution=2)
    assert model.jit_compile is jit_compile and model.steps_per_execution == 2
    h = model.fit(gaussian_samples(), batch_size=16, epochs=1, steps_per_epoch=4, verbose=0).history
    assert np.isfinite(h["critic_loss"][0])
    assert int(model.generator_iterations.numpy()) == 4


@pytest.mark.parametrize("name", ["gan", "wgan", "wgan-gp"])
def test_steps_per_execution_gives_the_same_weights_as_one_step_at_a_time(name):
    def train(steps_per_execution):
        keras.utils.set_random_seed(0)
        options = {"critic_warmup": False} if name == "wgan" else {}
        model = wk.build(name, *nets(), seed=3, **options)
        model.compile(steps_per_execution=steps_per_execution, jit_compile=False)
        history = model.fit(gaussian_samples(), batch_size=16, epochs=2, steps_per_epoch=6, verbose=0).history
        return history, [v.numpy() for v in model.generator.weights + model.critic.weights], counts(model)

    (h1, w1, c1), (h3, w3, c3) = train(1), train(3)
    assert c1 == c3 == (12, 12 if name == "gan" else 60, 12)
    for a, b in zip(w1, w3):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    for key in h1:
        np.testing.assert_allclose(h1[key], h3[key], rtol=1e-5, atol=1e-7)


def test_steps_per_epoch_that_steps_per_execution_does_not_divide_is_refused():
    model = wk.WGANGP(*nets(), seed=0)
    model.compile(steps_per_execution=4)
    with pytest.raises(ValueError, match=r"steps_per_epoch \(6\) must be a multiple of steps_per_execution \(4\)"):
        model.fit(gaussian_samples(), batch_size=16, epochs=1, steps_per_epoch=6, verbose=0)


@tensorflow_only
def test_tensorflow_penalty_second_order_gradient_is_the_same_under_xla():
    """XLA changes the random stream (TF's stateless RNG picks another
    algorithm), so compare the maths on fixed inputs: the gradient of the
    WGAN-GP critic loss w.r.t. the critic's weights, through the penalty."""
    import tensorflow as tf

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


@jax_only
def test_jax_penalty_second_order_gradient_is_the_same_jitted_and_eager():
    """The nested jax.grad of the critic's stateless call, inside jax.value_and_grad, with and without jit."""
    import jax

    critic = mlp(2, 1, "critic")
    rng = np.random.default_rng(0)
    real, fake = (rng.normal(size=(32, 2)).astype("float32") for _ in range(2))
    eps = rng.uniform(size=(32,)).astype("float32")

    def loss(weights):
        with keras.StatelessScope(state_mapping=list(zip(critic.trainable_variables, weights))):
            penalty = wk.losses.gradient_penalty(critic, real, fake, eps=eps)
            return wk.losses.wasserstein_critic_loss(critic(real), critic(fake)) + 10.0 * penalty

    weights = [v.value for v in critic.trainable_variables]
    eager, jitted = jax.grad(loss)(weights), jax.jit(jax.grad(loss))(weights)
    assert sum(float(np.abs(a).max()) > 0 for a in eager) == len(eager) - 1
    for a, b in zip(eager, jitted):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_numpy_input_is_batched_and_seeded():
    data = gaussian_samples(batch=32, batches=8)
    generator, critic = nets()
    variables = generator.weights + critic.weights
    initial = [v.numpy() for v in variables]

    def train(seed):
        for variable, value in zip(variables, initial):
            variable.assign(value)
        model = wk.WGANGP(generator, critic, seed=seed)
        model.compile(jit_compile=False)
        history = model.fit(data, batch_size=32, epochs=2, verbose=0).history
        # 256 samples / 32 = 8 batches = 1 generator iteration of 5 per epoch (the stream runs on).
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
    val = np.ones((64, 2), "float32")
    h = model.fit(
        gaussian_samples(), batch_size=16, epochs=2, steps_per_epoch=2, validation_data=val, verbose=0
    ).history
    assert len(h["val_wasserstein_estimate"]) == 2
    assert "val_gradient_penalty" not in h
    state = model.train_seed.state.numpy().copy()
    model.evaluate(val, batch_size=16, verbose=0)
    np.testing.assert_array_equal(model.train_seed.state.numpy(), state)
    with pytest.raises(ValueError, match="validation_data"):
        model.fit(gaussian_samples(), batch_size=16, validation_split=0.2, verbose=0)


def test_the_model_draws_interpolation_weights_uniform_per_sample(monkeypatch):
    """The model's own eps (not only the pure function's) is U[0, 1], one per sample."""
    drawn = []
    interpolate = wk.losses.interpolate

    def recording_interpolate(real, fake, eps):
        drawn.append(ops.convert_to_numpy(eps))
        return interpolate(real, fake, eps)

    monkeypatch.setattr(wk.losses, "interpolate", recording_interpolate)
    model = wk.WGANGP(*nets(), seed=0)
    real, fake = np.ones((4000, 2), "float32"), np.zeros((4000, 2), "float32")
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
    model.compile(learning_rate=1e-3, beta_1=0.5)
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


@pytest.mark.parametrize("seed, match", [(-1, ">= 0"), ("a", "integer"), (2**70, "<="), (1.5, "integer")])
def test_generate_refuses_a_bad_seed_by_name(seed, match):
    model = wk.WGANGP(*nets(), seed=0)
    with pytest.raises(ValueError, match=rf"seed must .*{match}"):
        model.generate(5, seed=seed)


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
        (lambda g, c: wk.WGANGP(g, c, seed=-1), "seed"),
    ],
)
def test_bad_arguments_are_named(build, match):
    with pytest.raises(ValueError, match=match):
        build(*nets())


def test_wrong_data_shape_fails_before_training():
    model = wk.WGANGP(*nets(), seed=0)
    model.compile()
    with pytest.raises(ValueError, match="sample shape"):
        model.fit(np.zeros((640, 3), "float32"), batch_size=8, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="steps_per_epoch is required"):
        model.fit(wk.data.toy_dataset("8gaussians", 16), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="batch_size must be None"):
        model.fit(wk.data.toy_dataset("8gaussians", 16), batch_size=16, epochs=1, steps_per_epoch=1, verbose=0)
    assert int(model.generator_iterations.numpy()) == 0


@needs_tensorflow
def test_a_tf_data_input_is_checked_before_training():
    import tensorflow as tf

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
        model.fit(gaussian_samples(), batch_size=16, epochs=1, steps_per_epoch=1, verbose=0)
    with pytest.raises(ValueError, match="generator_optimizer"):
        model.compile(optimizer="adam")
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two different"):
        model.compile(generator_optimizer=shared, critic_optimizer=shared)


def test_warmup_with_steps_per_execution_is_refused():
    model = wk.WGAN(*nets(), seed=0)
    model.compile(steps_per_execution=4)
    with pytest.raises(ValueError, match="critic_warmup=False"):
        model.fit(gaussian_samples(), batch_size=16, epochs=1, steps_per_epoch=4, verbose=0)


def test_batch_norm_critic_warns_under_wgan_gp():
    with pytest.warns(UserWarning, match="BatchNormalization"):
        wk.WGANGP(mlp(2, 2, "generator"), mlp(2, 1, "critic", batch_norm=True))


# -------------------------------------------------------- divergence stop
def nan_samples(nan_row):
    data = gaussian_samples(batch=16, batches=64)
    data[nan_row] = np.nan
    return data


def test_divergence_stops_with_the_loss_name_and_step():
    model = wk.WGANGP(*nets(), seed=0)
    model.compile()
    # A NaN in the 9th generator iteration's data (batches 40-44 of 16 samples).
    with pytest.raises(wk.TrainingDiverged, match="critic_loss") as info:
        model.fit(nan_samples(8 * 16 * 5 + 3), batch_size=16, shuffle=False, epochs=1, verbose=0)
    assert info.value.generator_iteration == 9
    assert "critic_loss" in info.value.losses and math.isnan(info.value.losses["critic_loss"])


def test_the_divergence_flag_is_read_every_n_iterations_and_at_epoch_ends(monkeypatch):
    model = wk.WGANGP(*nets(), seed=0)
    model.compile(divergence_check_every=4)
    reads = []
    original = model._after_steps

    def counting(steps, read):
        return original(steps, lambda: (reads.append(model._next_generator_iteration), read())[1])

    monkeypatch.setattr(model, "_after_steps", counting)
    model.fit(gaussian_samples(), batch_size=16, epochs=2, steps_per_epoch=6, verbose=0)
    # Every 4 iterations, and at each epoch end (6 and 12): 4, 6, 10, 12.
    assert reads == [4, 6, 10, 12]


def test_a_diverged_model_is_never_saved_and_stops_within_the_check_interval(tmp_path):
    model = wk.WGANGP(*nets(), seed=0)
    model.compile(divergence_check_every=3)
    with pytest.raises(wk.TrainingDiverged) as info:
        model.fit(nan_samples(2 * 16 * 5), batch_size=16, shuffle=False, epochs=1, steps_per_epoch=50, verbose=0)
    assert info.value.generator_iteration == 3
    assert int(model.generator_iterations.numpy()) <= 3 + 3  # stopped at the next read
    for save in (
        lambda: model.save(str(tmp_path / "m.keras")),
        lambda: model.save_weights(str(tmp_path / "m.weights.h5")),
    ):
        with pytest.raises(wk.TrainingDiverged):
            save()
    assert os.listdir(tmp_path) == []


def test_saving_to_h5_is_refused_and_writes_nothing(tmp_path):
    model = wk.WGANGP(*nets(), seed=0)
    model.compile()
    with pytest.raises(ValueError, match=r"'\.keras'.*Nothing was written"):
        model.save(str(tmp_path / "x.h5"))
    with pytest.raises(ValueError, match=r"'\.weights\.h5'"):
        model.save_weights(str(tmp_path / "x.h5"))
    assert os.listdir(tmp_path) == []


# ---------------------------------------------- bad batches, named by index
class _Batches(keras.utils.PyDataset):
    """Eight batches of 8 samples; batch ``bad`` is replaced by ``replacement``."""

    def __init__(self, bad, replacement):
        super().__init__()
        self.bad, self.replacement = bad, replacement

    @property
    def num_batches(self):
        return 8

    def __getitem__(self, index):
        if index == self.bad:
            return self.replacement
        return np.full((8, 2), index, "float32")


@pytest.mark.parametrize(
    "bad, replacement, match",
    [
        (3, np.zeros((8, 3), "float32"), r"batch 3 has shape \(8, 3\); batch 0 had shape \(8, 2\)"),
        (3, np.zeros((4, 2), "float32"), r"batch 3 has shape \(4, 2\); batch 0 had shape \(8, 2\)"),
        (2, np.zeros((8, 2), "int64"), r"batch 2 holds int64 values, batch 0 held float32"),
    ],
)
def test_a_bad_batch_of_a_pydataset_is_named_by_its_index(bad, replacement, match):
    model = wk.WGANGP(*nets(), n_critic=2, seed=0)
    model.compile()
    with pytest.raises(ValueError, match=match):
        model.fit(_Batches(bad, replacement), epochs=1, steps_per_epoch=4, verbose=0)


def test_a_python_list_is_refused_with_the_conversion_to_use():
    model = wk.WGANGP(*nets(), seed=0)
    model.compile()
    with pytest.raises(ValueError, match=r"got list \(convert it with numpy.asarray"):
        model.fit([[0.0, 1.0]] * 64, batch_size=16, epochs=1, steps_per_epoch=1, verbose=0)
    assert int(model.generator_iterations.numpy()) == 0


def test_a_pydataset_read_in_parallel_blocks_gives_the_batches_in_order():
    # Each batch holds its index: the critic sees batches 0, 1, 2, ... in order
    # across two fits, whatever the pipeline reads ahead.
    model = recording(RecordingWGANGP, n_critic=2)
    batches = _Batches(-1, None)
    model.fit(batches, epochs=1, steps_per_epoch=3, verbose=0)
    model.fit(batches, epochs=1, steps_per_epoch=2, verbose=0)
    assert model.seen == [float(i % 8) for i in range(5 * 2)]
