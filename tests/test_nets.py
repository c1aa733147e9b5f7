"""Tests of wgan_keras.nets: shapes, paper-specific structure, init, seeding, saving."""

import keras
import numpy as np
import pytest

from wgan_keras import nets

SIZES = (8, 16, 28, 32, 64)
LATENT = 8


def _count(model, layer_type):
    return sum(isinstance(layer, layer_type) for layer in model.layers)


def _latent(n=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, LATENT)).astype("float32")


# --------------------------------------------------------------------------
# shapes
# --------------------------------------------------------------------------


@pytest.mark.parametrize("channels", (1, 3))
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("family", ("dcgan", "resnet"))
def test_image_nets_shapes_and_compatibility(family, size, channels):
    shape = (size, size, channels)
    if family == "dcgan":
        gen = nets.dcgan_generator(LATENT, shape, filters=4, seed=1)
        critic = nets.dcgan_critic(shape, filters=4, normalization="layer", seed=2)
    else:
        gen = nets.resnet_generator(LATENT, shape, filters=4, seed=1)
        critic = nets.resnet_critic(shape, filters=4, seed=2)
    # Known before any call (explicit keras.Input).
    assert gen.input_shape == (None, LATENT)
    assert gen.output_shape == (None, *shape)
    assert critic.input_shape == (None, *shape)
    assert critic.output_shape == (None, 1)
    images = gen(_latent(3), training=False)
    assert tuple(images.shape) == (3, *shape)
    # tanh output range
    assert np.all(np.abs(keras.ops.convert_to_numpy(images)) <= 1.0)
    assert tuple(critic(images).shape) == (3, 1)


def test_dcgan_default_geometry_matches_papers():
    # 28x28 starts from 7x7 (7 -> 14 -> 28); 64x64 is the DCGAN ngf=64 pyramid.
    gen28 = nets.dcgan_generator(LATENT, (28, 28, 1), filters=4)
    assert gen28.get_layer("generator_seed_reshape").output.shape[1:] == (7, 7, 8)
    assert _count(gen28, keras.layers.Conv2DTranspose) == 2
    gen64 = nets.dcgan_generator(LATENT, (64, 64, 3), filters=4)
    widths = [layer.filters for layer in gen64.layers if isinstance(layer, keras.layers.Conv2DTranspose)]
    assert gen64.get_layer("generator_seed_reshape").output.shape[1:] == (4, 4, 32)
    assert widths == [16, 8, 4, 3]
    # WGAN-GP's MNIST critic: 28 -> 14 -> 7 -> 4 with DIM, 2 DIM, 4 DIM channels.
    critic28 = nets.dcgan_critic((28, 28, 1), filters=4)
    convs = [layer for layer in critic28.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [4, 8, 16]
    assert convs[-1].output.shape[1:3] == (4, 4)
    assert all(
        isinstance(layer, keras.layers.LeakyReLU) and layer.negative_slope == pytest.approx(0.2)
        for layer in critic28.layers
        if "lrelu" in layer.name
    )


def test_dcgan_kernel_size_5_wgan_gp():
    # WGAN-GP's official DCGAN nets use 5x5 kernels; "same" padding keeps the geometry.
    gen = nets.dcgan_generator(LATENT, (28, 28, 1), filters=4, kernel_size=5)
    critic = nets.dcgan_critic((28, 28, 1), filters=4, kernel_size=5)
    assert gen.output_shape == (None, 28, 28, 1)
    assert critic.get_layer("critic_conv_1").kernel.shape == (5, 5, 1, 4)
    assert tuple(critic(gen(_latent(2))).shape) == (2, 1)


def test_dcgan_generator_figure6_variant():
    base = nets.dcgan_generator(LATENT, (32, 32, 3), filters=8)
    fig6 = nets.dcgan_generator(LATENT, (32, 32, 3), filters=8, batch_norm=False, constant_filters=True)
    assert _count(base, keras.layers.BatchNormalization) == 3
    assert _count(fig6, keras.layers.BatchNormalization) == 0
    widths = [layer.filters for layer in fig6.layers if isinstance(layer, keras.layers.Conv2DTranspose)]
    assert widths == [8, 8, 3]
    assert fig6.count_params() < base.count_params() / 3
    assert fig6.output_shape == (None, 32, 32, 3)
    linear = nets.dcgan_generator(LATENT, (16, 16, 1), filters=4, output_activation=None)
    assert isinstance(linear.layers[-1], keras.layers.Conv2DTranspose)


@pytest.mark.parametrize("output_shape", [(2,), 5, (4, 4, 1)])
def test_mlp_generator_shapes(output_shape):
    gen = nets.mlp_generator(2, output_shape, hidden=8, depth=2)
    expected = (output_shape,) if isinstance(output_shape, int) else output_shape
    assert gen.input_shape == (None, 2)
    assert gen.output_shape == (None, *expected)
    critic = nets.mlp_critic(expected, hidden=8, depth=2)
    out = critic(gen(np.zeros((4, 2), "float32")))
    assert tuple(out.shape) == (4, 1)


# --------------------------------------------------------------------------
# critic head: linear, unbounded
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: nets.mlp_critic((2,), hidden=8, depth=2),
        lambda: nets.dcgan_critic((16, 16, 1), filters=4),
        lambda: nets.resnet_critic((16, 16, 3), filters=4),
    ],
    ids=["mlp", "dcgan", "resnet"],
)
def test_critic_output_is_linear(build):
    critic = build()
    head = critic.layers[-1]
    assert isinstance(head, keras.layers.Dense) and head.units == 1
    assert head.activation is keras.activations.linear
    x = np.random.default_rng(0).normal(size=(4, *critic.input_shape[1:])).astype("float32")
    kernel, bias = head.get_weights()
    for shift in (100.0, -100.0):
        head.set_weights([kernel, np.full_like(bias, shift)])
        values = keras.ops.convert_to_numpy(critic(x))
        assert values.shape == (4, 1)
        # Unbounded both ways: no sigmoid / tanh / ReLU on the critic value.
        assert np.all(values > 1.0) if shift > 0 else np.all(values < 0.0)


# --------------------------------------------------------------------------
# structure: normalisation, depth
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "normalization, layer_type",
    [("layer", keras.layers.GroupNormalization), ("batch", keras.layers.BatchNormalization)],
)
def test_dcgan_critic_normalization(normalization, layer_type):
    critic = nets.dcgan_critic((32, 32, 3), filters=4, normalization=normalization)
    convs = [layer for layer in critic.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 3
    # Normalisation on every conv but the first.
    assert _count(critic, layer_type) == len(convs) - 1
    first = critic.layers.index(convs[0])
    assert isinstance(critic.layers[first + 1], keras.layers.LeakyReLU)
    for conv in convs[1:]:
        assert isinstance(critic.layers[critic.layers.index(conv) + 1], layer_type)
    if normalization == "layer":
        # tflib's Layernorm: statistics per sample over (H, W, C), one scale
        # and shift per channel.
        norm = next(layer for layer in critic.layers if isinstance(layer, layer_type))
        assert norm.groups == 1 and norm.gamma.shape == (norm.input.shape[-1],)
        x = np.random.default_rng(0).normal(3.0, 2.0, size=(2,) + tuple(norm.input.shape[1:])).astype("float32")
        y = keras.ops.convert_to_numpy(norm(x)).reshape(2, -1)
        np.testing.assert_allclose(y.mean(axis=1), 0.0, atol=1e-4)
        np.testing.assert_allclose(y.std(axis=1), 1.0, atol=1e-3)
    plain = nets.dcgan_critic((32, 32, 3), filters=4)
    assert _count(plain, keras.layers.GroupNormalization) == 0
    assert _count(plain, keras.layers.BatchNormalization) == 0


def test_resnet_critic_has_no_batch_norm_and_generator_has():
    critic = nets.resnet_critic((32, 32, 3), filters=4)
    gen = nets.resnet_generator(LATENT, (32, 32, 3), filters=4)
    assert _count(critic, keras.layers.BatchNormalization) == 0
    assert _count(critic, keras.layers.LayerNormalization) == 0
    # 3 up blocks x 2 BN + output BN (gan_cifar_resnet.py)
    assert _count(gen, keras.layers.BatchNormalization) == 7
    assert _count(gen, keras.layers.UpSampling2D) == 6  # main path + shortcut per block
    # optimized block + 1 down block + 2 plain blocks, global mean pooling
    assert _count(critic, keras.layers.Add) == 4
    assert _count(critic, keras.layers.GlobalAveragePooling2D) == 1


@pytest.mark.parametrize("depth", (1, 3, 4, 12))
def test_mlp_depth_counts_dense_layers(depth):
    gen = nets.mlp_generator(2, (2,), hidden=4, depth=depth)
    critic = nets.mlp_critic((2,), hidden=4, depth=depth)
    assert _count(gen, keras.layers.Dense) == depth + 1
    assert _count(critic, keras.layers.Dense) == depth + 1
    hidden_units = [layer.units for layer in critic.layers if isinstance(layer, keras.layers.Dense)]
    assert hidden_units == [4] * depth + [1]


def test_mlp_normalization_options():
    for kind, layer_type in (("layer", keras.layers.LayerNormalization), ("batch", keras.layers.BatchNormalization)):
        critic = nets.mlp_critic((2,), hidden=4, depth=3, normalization=kind)
        assert _count(critic, layer_type) == 3
    gen = nets.mlp_generator(2, (2,), hidden=4, depth=3, batch_norm=True)
    assert _count(gen, keras.layers.BatchNormalization) == 3
    assert _count(nets.mlp_critic((2,), hidden=4, depth=3), keras.layers.LayerNormalization) == 0


# --------------------------------------------------------------------------
# initialisation and seeding
# --------------------------------------------------------------------------


def test_dcgan_initializer_statistics():
    # Largest kernel: 4*4*64*128 = 131k weights, so the sample std of N(0, 0.02)
    # is within ~1e-4 of 0.02; a Keras default (Glorot, std ~0.015 here) fails.
    critic = nets.dcgan_critic((32, 32, 3), filters=64, normalization="batch", seed=3)
    kernel = critic.get_layer("critic_conv_3").kernel.numpy()
    assert kernel.size > 100_000
    assert abs(kernel.std() - 0.02) < 0.0005
    assert abs(kernel.mean()) < 0.0005
    gamma = critic.get_layer("critic_norm_3").gamma.numpy()  # 256 values of N(1, 0.02)
    assert abs(gamma.mean() - 1.0) < 0.005
    assert 0.015 < gamma.std() < 0.025
    gen = nets.dcgan_generator(LATENT, (32, 32, 3), filters=64, seed=3)
    deconv = gen.get_layer("generator_deconv_1").kernel.numpy()
    assert abs(deconv.std() - 0.02) < 0.0005


@pytest.mark.parametrize(
    "build",
    [
        lambda seed: nets.mlp_generator(2, (2,), hidden=8, depth=3, batch_norm=True, seed=seed),
        lambda seed: nets.mlp_critic((2,), hidden=8, depth=3, seed=seed),
        lambda seed: nets.dcgan_generator(LATENT, (16, 16, 1), filters=4, seed=seed),
        lambda seed: nets.dcgan_critic((16, 16, 1), filters=4, normalization="batch", seed=seed),
        lambda seed: nets.resnet_generator(LATENT, (8, 8, 3), filters=4, seed=seed),
        lambda seed: nets.resnet_critic((8, 8, 3), filters=4, seed=seed),
    ],
    ids=["mlp_g", "mlp_c", "dcgan_g", "dcgan_c", "resnet_g", "resnet_c"],
)
def test_seed_determinism(build):
    first = build(7).get_weights()
    keras.utils.set_random_seed(123)  # the global RNG must not matter
    second = build(7).get_weights()
    other = build(8).get_weights()
    assert len(first) == len(second) == len(other)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, c) for a, c in zip(first, other))


def test_seed_gives_distinct_layers():
    # Per-layer seeds are derived, not repeated: equal-shape kernels must differ.
    critic = nets.mlp_critic((8,), hidden=8, depth=3, seed=0)
    kernels = [layer.kernel.numpy() for layer in critic.layers if isinstance(layer, keras.layers.Dense)]
    assert kernels[0].shape == kernels[1].shape == kernels[2].shape
    assert not np.array_equal(kernels[0], kernels[1])
    assert not np.array_equal(kernels[1], kernels[2])
    # A generator and a critic built with one seed draw independent streams
    # (the toy nets' first layers have the same 2 x hidden shape).
    gen = nets.mlp_generator(2, (2,), hidden=8, seed=0)
    critic = nets.mlp_critic((2,), hidden=8, seed=0)
    g_kernel = gen.get_layer("generator_dense_1").kernel.numpy()
    c_kernel = critic.get_layer("critic_dense_1").kernel.numpy()
    assert g_kernel.shape == c_kernel.shape
    assert not np.allclose(g_kernel, c_kernel)


# --------------------------------------------------------------------------
# serialisation
# --------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # Keras saving
@pytest.mark.parametrize(
    "build, inputs",
    [
        (
            lambda: nets.dcgan_critic((16, 16, 3), filters=4, normalization="layer", seed=0),
            np.random.default_rng(1).uniform(-1, 1, (2, 16, 16, 3)).astype("float32"),
        ),
        (lambda: nets.resnet_generator(LATENT, (16, 16, 3), filters=4, seed=0), _latent(2)),
    ],
    ids=["dcgan_critic", "resnet_generator"],
)
def test_keras_save_load_round_trip(tmp_path, build, inputs):
    model = build()
    expected = keras.ops.convert_to_numpy(model(inputs, training=False))
    path = tmp_path / f"{model.name}.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.input_shape == model.input_shape
    assert loaded.output_shape == model.output_shape
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(inputs, training=False)), expected, rtol=1e-5, atol=1e-6
    )


class _HoldsANorm(keras.layers.Layer):
    """A custom layer that keeps its sublayer as an attribute, as user layers do."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.norm = keras.layers.BatchNormalization()

    def call(self, x):
        return self.norm(x)


def test_has_layer_finds_layers_in_nested_models_and_in_custom_layers_attributes():
    inner = keras.Sequential([keras.layers.Dense(3), keras.layers.LayerNormalization()])
    inputs = keras.Input((2,))
    model = keras.Model(inputs, _HoldsANorm()(inner(inputs)))
    top_level = [type(layer) for layer in model.layers]
    assert keras.layers.BatchNormalization not in top_level and keras.layers.LayerNormalization not in top_level
    assert nets.has_layer(model, keras.layers.BatchNormalization)
    assert nets.has_layer(model, (keras.layers.Conv2D, keras.layers.LayerNormalization))
    assert not nets.has_layer(model, keras.layers.Conv2D)
    batch = nets.dcgan_critic((8, 8, 1), filters=4, normalization="batch", seed=0)
    layer = nets.dcgan_critic((8, 8, 1), filters=4, normalization="layer", seed=0)
    assert nets.has_layer(batch, keras.layers.BatchNormalization)
    assert not nets.has_layer(layer, keras.layers.BatchNormalization)


# --------------------------------------------------------------------------
# argument validation
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, argument",
    [
        (lambda: nets.dcgan_generator(LATENT, (30, 30, 1)), "image_shape"),
        (lambda: nets.dcgan_generator(LATENT, (32, 16, 3)), "image_shape"),
        (lambda: nets.dcgan_critic((28, 28)), "image_shape"),
        (lambda: nets.dcgan_critic((28, 28, 0)), "image_shape"),
        (lambda: nets.resnet_generator(LATENT, (48, 48, 3)), "image_shape"),
        (lambda: nets.resnet_critic((100, 100, 3)), "image_shape"),
        (lambda: nets.dcgan_critic((28, 28, 1), normalization="instance"), "normalization"),
        (lambda: nets.mlp_critic((2,), normalization="Layer"), "normalization"),
        (lambda: nets.mlp_critic((2,), depth=0), "depth"),
        (lambda: nets.mlp_generator(2, (2,), depth=0), "depth"),
        (lambda: nets.mlp_generator(2, (2,), hidden=0), "hidden"),
        (lambda: nets.mlp_critic((2,), hidden=-3), "hidden"),
        (lambda: nets.mlp_critic((2,), hidden=2.5), "hidden"),
        (lambda: nets.mlp_generator(0, (2,)), "latent_dim"),
        (lambda: nets.mlp_generator(2, (0, 2)), "output_shape"),
        (lambda: nets.mlp_critic(()), "input_shape"),
        (lambda: nets.mlp_critic((2,), activation="no_such_fn"), "activation"),
        (lambda: nets.mlp_generator(2, (2,), output_activation="nope"), "output_activation"),
        (lambda: nets.dcgan_generator(LATENT, filters=0), "filters"),
        (lambda: nets.dcgan_generator(LATENT, batch_norm="yes"), "batch_norm"),
        (lambda: nets.resnet_critic(filters=0), "filters"),
        (lambda: nets.mlp_critic((2,), seed=-1), "seed"),
        (lambda: nets.dcgan_critic(seed=1.5), "seed"),
    ],
)
def test_bad_arguments_raise(build, argument):
    with pytest.raises(ValueError, match=argument):
        build()


def test_error_message_lists_allowed_values():
    with pytest.raises(ValueError) as info:
        nets.dcgan_critic((28, 28, 1), normalization="instance")
    assert "'layer'" in str(info.value) and "'batch'" in str(info.value) and "None" in str(info.value)
    with pytest.raises(ValueError) as info:
        nets.dcgan_generator(LATENT, (30, 30, 1))
    for size in nets.IMAGE_SIZES:
        assert str(size) in str(info.value)
