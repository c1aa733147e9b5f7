"""Generator and critic architectures of the WGAN and WGAN-GP papers.

Every builder returns a functional ``keras.Model`` made from an explicit
``keras.Input``, so ``input_shape`` / ``output_shape`` are known before
training, and uses only standard Keras layers, so models survive a ``.keras``
save/load round trip.

* :func:`mlp_generator`, :func:`mlp_critic` -- fully connected nets: the
  WGAN-GP toy nets (``gan_toy.py``: 3 x 512 ReLU), WGAN's MLP generator
  (Figure 7: 4 x 512 ReLU) and WGAN-GP Figure 1b's 12-layer critic.
* :func:`dcgan_generator`, :func:`dcgan_critic` -- DCGAN (Radford et al.
  2016) as used by WGAN (Figures 5-6, weight init N(0, 0.02)) and WGAN-GP
  (MNIST / CIFAR-10 DCGAN, layer norm or no norm in the critic).
* :func:`resnet_generator`, :func:`resnet_critic` -- the WGAN-GP CIFAR-10
  ResNet (``gan_cifar_resnet.py``; Table 3, inception score 7.86).

Critics end with a linear ``Dense(1)``: a WGAN critic value, or the logit of a
standard GAN discriminator. Supported image sizes for the convolutional nets
are 8x8, 16x16, 28x28, 32x32 and 64x64, with any number of channels.

Every builder takes ``seed``: an int seeds all initializers (per-layer seeds are
derived deterministically from it, so the same seed gives the same weights);
``None`` draws from Keras's global RNG (``keras.utils.set_random_seed``).
"""

import math
import numbers
import zlib

import keras
import numpy as np

from wgan_keras import params

__all__ = [
    "IMAGE_SIZES",
    "NORMALIZATIONS",
    "dcgan_critic",
    "dcgan_generator",
    "has_layer",
    "mlp_critic",
    "mlp_generator",
    "resnet_critic",
    "resnet_generator",
]

#: Supported square image sizes -> (side of the generator's seed, number of
#: stride-2 up-sampling steps from the seed to the image).
_GEOMETRY = {8: (4, 1), 16: (4, 2), 28: (7, 2), 32: (4, 3), 64: (4, 4)}
IMAGE_SIZES = tuple(sorted(_GEOMETRY))
#: Critic normalisations: none (WGAN-GP default), layer norm (WGAN-GP's
#: recommendation) or batch norm (WGAN's DCGAN critic; invalid with a gradient
#: penalty).
NORMALIZATIONS = (None, "layer", "batch")

# Batch-norm settings of the reference code (PyTorch: momentum 0.1, eps 1e-5;
# tflib: eps 1e-5); Keras's momentum is 1 - PyTorch's.
_BN_MOMENTUM = 0.9
_NORM_EPSILON = 1e-5


# --------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------


def _check_activation(name, value, allow_none=False):
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"{name} must name a Keras activation (e.g. 'relu'); got None.")
    try:
        keras.activations.get(value)
    except (ValueError, TypeError) as err:
        raise ValueError(
            f"{name} must name a Keras activation (e.g. 'relu', 'tanh'"
            f"{', or None' if allow_none else ''}); got {value!r}."
        ) from err
    return value


def _check_shape(name, value):
    """A positive int or a non-empty sequence of positive ints -> tuple."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    try:
        shape = tuple(value)
    except TypeError:
        shape = None
    if not shape or any(isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 1 for d in shape):
        raise ValueError(f"{name} must be a positive int or a non-empty tuple of positive ints; got {value!r}.")
    return tuple(int(d) for d in shape)


def _check_image_shape(image_shape):
    """Validate ``(size, size, channels)``; return ``(size, channels)``."""
    shape = None
    try:
        shape = tuple(image_shape)
    except TypeError:
        pass
    ok = (
        shape is not None
        and len(shape) == 3
        and all(isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in shape)
        and shape[0] == shape[1]
        and shape[0] in _GEOMETRY
        and shape[2] >= 1
    )
    if not ok:
        raise ValueError(
            "image_shape must be (size, size, channels) with size in "
            f"{IMAGE_SIZES} and channels >= 1; got {image_shape!r}."
        )
    return int(shape[0]), int(shape[2])


# --------------------------------------------------------------------------
# seeding and initializers
# --------------------------------------------------------------------------


class _Seeds:
    """Deterministic stream of per-layer seeds derived from one base seed.

    ``salt`` (the builder's name) makes e.g. a generator and a critic built
    with the same ``seed`` draw independent streams.
    """

    def __init__(self, seed, salt):
        if seed is not None:
            seed = params.require_int("seed", seed, minimum=0)
        self._seed = seed
        self._salt = zlib.crc32(salt.encode())
        self._count = 0

    def __call__(self):
        if self._seed is None:
            return None
        entropy = [self._seed, self._salt, self._count]
        state = np.random.SeedSequence(entropy).generate_state(1)[0]
        self._count += 1
        return int(state % (2**31 - 1))


def _dcgan_kernel(seeds):
    """WGAN / DCGAN weight init: N(0, 0.02) (official ``weights_init``)."""
    return keras.initializers.RandomNormal(0.0, 0.02, seed=seeds())


def _dcgan_gamma(seeds):
    """WGAN / DCGAN batch-norm scale init: N(1, 0.02)."""
    return keras.initializers.RandomNormal(1.0, 0.02, seed=seeds())


def _glorot(seeds):
    """Glorot uniform: Keras's default and tflib's ``he_init=False`` / Linear init."""
    return keras.initializers.GlorotUniform(seed=seeds())


def _he_fan_avg(seeds):
    """tflib's ``he_init=True`` conv init: uniform, variance 4 / (fan_in + fan_out)."""
    return keras.initializers.VarianceScaling(2.0, "fan_avg", "uniform", seed=seeds())


# --------------------------------------------------------------------------
# shared building blocks
# --------------------------------------------------------------------------


def _normalization(x, kind, seeds, name, dcgan_init=False, image=False):
    """Apply ``kind`` in {None, 'layer', 'batch'} to ``x``.

    Layer norm over features for vectors. For images it normalises each
    sample over (H, W, C) with one scale and shift per channel, as the
    official WGAN-GP code's ``tflib`` ``Layernorm`` does: that is
    ``GroupNormalization`` with a single group (``LayerNormalization`` over
    (H, W, C) would learn a scale for every position instead).
    """
    if kind is None:
        return x
    if kind == "layer":
        if image:
            return keras.layers.GroupNormalization(groups=1, epsilon=_NORM_EPSILON, name=name)(x)
        return keras.layers.LayerNormalization(axis=-1, epsilon=_NORM_EPSILON, name=name)(x)
    gamma = _dcgan_gamma(seeds) if dcgan_init else "ones"
    return keras.layers.BatchNormalization(
        momentum=_BN_MOMENTUM, epsilon=_NORM_EPSILON, gamma_initializer=gamma, name=name
    )(x)


def _dense_stack(x, hidden, depth, activation, normalization, seeds, prefix):
    """``depth`` x (Dense -> optional normalisation -> activation)."""
    for i in range(1, depth + 1):
        x = keras.layers.Dense(
            hidden,
            use_bias=normalization is None,
            kernel_initializer=_glorot(seeds),
            name=f"{prefix}_dense_{i}",
        )(x)
        x = _normalization(x, normalization, seeds, f"{prefix}_norm_{i}")
        x = keras.layers.Activation(activation, name=f"{prefix}_act_{i}")(x)
    return x


def _critic_head(x, kernel_initializer, prefix):
    """Final linear ``Dense(1)``: the critic value (or GAN logit), no activation."""
    return keras.layers.Dense(1, kernel_initializer=kernel_initializer, name=f"{prefix}_value")(x)


# --------------------------------------------------------------------------
# MLP nets
# --------------------------------------------------------------------------


def mlp_generator(
    latent_dim,
    output_shape,
    hidden=512,
    depth=3,
    activation="relu",
    output_activation=None,
    batch_norm=False,
    name="generator",
    seed=None,
):
    """Fully connected generator.

    ``depth`` hidden ``Dense(hidden)`` layers with ``activation`` (batch norm
    before the activation if ``batch_norm``), a linear ``Dense`` to
    ``prod(output_shape)`` (then ``output_activation`` if given), reshaped to
    ``output_shape``.

    Reproduces the WGAN-GP toy generator (Gulrajani et al. 2017, Section 5.1
    and ``gan_toy.py``: 3 x 512 ReLU, linear output, the defaults) and WGAN's
    MLP generator (Arjovsky et al. 2017, Figure 7: 4 x 512 ReLU, ``depth=4``).
    Kernels use Glorot-uniform init, as the reference code.
    """
    latent_dim = params.require_int("latent_dim", latent_dim, minimum=1)
    output_shape = _check_shape("output_shape", output_shape)
    hidden = params.require_int("hidden", hidden, minimum=1)
    depth = params.require_int("depth", depth, minimum=1)
    _check_activation("activation", activation)
    _check_activation("output_activation", output_activation, allow_none=True)
    batch_norm = params.require_bool("batch_norm", batch_norm)
    seeds = _Seeds(seed, "mlp_generator")

    z = keras.Input((latent_dim,), name=f"{name}_latent")
    x = _dense_stack(z, hidden, depth, activation, "batch" if batch_norm else None, seeds, name)
    x = keras.layers.Dense(math.prod(output_shape), kernel_initializer=_glorot(seeds), name=f"{name}_output")(x)
    if output_activation is not None:
        x = keras.layers.Activation(output_activation, name=f"{name}_output_act")(x)
    x = keras.layers.Reshape(output_shape, name=f"{name}_reshape")(x)
    return keras.Model(z, x, name=name)


def mlp_critic(
    input_shape,
    hidden=512,
    depth=3,
    activation="relu",
    normalization=None,
    name="critic",
    seed=None,
):
    """Fully connected critic: Flatten, ``depth`` x Dense(hidden), linear Dense(1).

    ``normalization`` (None, ``"layer"`` or ``"batch"``) follows each hidden
    ``Dense``, before the activation. The output has no activation: it is the
    WGAN critic value or a GAN discriminator's logit.

    Reproduces the WGAN-GP toy critic (Gulrajani et al. 2017, ``gan_toy.py``:
    3 x 512 ReLU, the defaults) and the 12-layer ReLU critic without batch norm
    of WGAN-GP Figure 1b (``depth=12``). Kernels use Glorot-uniform init.
    """
    input_shape = _check_shape("input_shape", input_shape)
    hidden = params.require_int("hidden", hidden, minimum=1)
    depth = params.require_int("depth", depth, minimum=1)
    _check_activation("activation", activation)
    params.require_choice("normalization", normalization, NORMALIZATIONS)
    seeds = _Seeds(seed, "mlp_critic")

    inputs = keras.Input(input_shape, name=f"{name}_input")
    x = keras.layers.Flatten(name=f"{name}_flatten")(inputs)
    x = _dense_stack(x, hidden, depth, activation, normalization, seeds, name)
    out = _critic_head(x, _glorot(seeds), name)
    return keras.Model(inputs, out, name=name)


# --------------------------------------------------------------------------
# DCGAN nets
# --------------------------------------------------------------------------


def _critic_downsamplings(size):
    """Stride-2 convs of the DCGAN critic: down to 4x4 (28 -> 14 -> 7 -> 4), at least 2."""
    n = 0
    while size > 4:
        size = -(-size // 2)
        n += 1
    return max(n, 2)


def dcgan_generator(
    latent_dim=128,
    image_shape=(28, 28, 1),
    filters=64,
    batch_norm=True,
    output_activation="tanh",
    name="generator",
    constant_filters=False,
    kernel_size=4,
    seed=None,
):
    """DCGAN generator (Radford et al. 2016) as used by WGAN and WGAN-GP.

    ``Dense`` to a ``seed x seed x C0`` tensor (7x7 for 28x28 images, else
    4x4), then stride-2 ``Conv2DTranspose(kernel_size)`` up-sampling layers,
    each followed by batch norm (if ``batch_norm``) and ReLU, and a last
    stride-2 transposed conv to ``image_shape`` with ``output_activation``
    (tanh; ``None`` for linear). The channel count halves at each step and the
    last hidden layer has ``filters`` channels (64x64: 512-256-128-64, the
    WGAN / DCGAN ``ngf=64`` net; 32x32: 256-128-64, WGAN-GP's CIFAR-10 DCGAN
    with DIM=64). ``constant_filters=True`` uses ``filters`` channels in every
    layer.

    WGAN (Arjovsky et al. 2017): Figure 5 uses the default DCGAN generator;
    Figure 6 the generator "without batch normalization and with a constant
    number of filters" (``batch_norm=False, constant_filters=True``). WGAN-GP
    uses 5x5 kernels (``kernel_size=5``). Init: kernels N(0, 0.02), batch-norm
    scale N(1, 0.02) (WGAN's ``weights_init``).
    """
    latent_dim = params.require_int("latent_dim", latent_dim, minimum=1)
    size, channels = _check_image_shape(image_shape)
    filters = params.require_int("filters", filters, minimum=1)
    batch_norm = params.require_bool("batch_norm", batch_norm)
    constant_filters = params.require_bool("constant_filters", constant_filters)
    kernel_size = params.require_int("kernel_size", kernel_size, minimum=1)
    _check_activation("output_activation", output_activation, allow_none=True)
    seeds = _Seeds(seed, "dcgan_generator")
    norm = "batch" if batch_norm else None
    start, n_up = _GEOMETRY[size]

    def width(step):  # channels after up-sampling step `step` (0 = the seed)
        return filters if constant_filters else filters * 2 ** (n_up - 1 - step)

    z = keras.Input((latent_dim,), name=f"{name}_latent")
    x = keras.layers.Dense(
        start * start * width(0),
        use_bias=not batch_norm,
        kernel_initializer=_dcgan_kernel(seeds),
        name=f"{name}_seed_dense",
    )(z)
    x = keras.layers.Reshape((start, start, width(0)), name=f"{name}_seed_reshape")(x)
    x = _normalization(x, norm, seeds, f"{name}_seed_bn", dcgan_init=True)
    x = keras.layers.ReLU(name=f"{name}_seed_relu")(x)
    for step in range(1, n_up):
        x = keras.layers.Conv2DTranspose(
            width(step),
            kernel_size,
            strides=2,
            padding="same",
            use_bias=not batch_norm,
            kernel_initializer=_dcgan_kernel(seeds),
            name=f"{name}_deconv_{step}",
        )(x)
        x = _normalization(x, norm, seeds, f"{name}_bn_{step}", dcgan_init=True)
        x = keras.layers.ReLU(name=f"{name}_relu_{step}")(x)
    x = keras.layers.Conv2DTranspose(
        channels,
        kernel_size,
        strides=2,
        padding="same",
        kernel_initializer=_dcgan_kernel(seeds),
        name=f"{name}_deconv_output",
    )(x)
    if output_activation is not None:
        x = keras.layers.Activation(output_activation, name=f"{name}_output_act")(x)
    return keras.Model(z, x, name=name)


def dcgan_critic(
    image_shape=(28, 28, 1),
    filters=64,
    normalization=None,
    name="critic",
    kernel_size=4,
    seed=None,
):
    """DCGAN critic (Radford et al. 2016) as used by WGAN and WGAN-GP.

    Stride-2 ``Conv2D(kernel_size, padding="same")`` layers with LeakyReLU(0.2),
    doubling the channels from ``filters``, down to 4x4 (28x28: 14-7-4, as
    WGAN-GP's MNIST critic; 64x64: 64-128-256-512, WGAN's ``ndf=64`` net; at
    least two convs), then ``Flatten`` and a linear ``Dense(1)`` -- no sigmoid.
    ``normalization`` follows every conv except the first:

    * ``None`` -- WGAN-GP (Gulrajani et al. 2017, Section 4: no critic batch norm);
    * ``"layer"`` -- layer norm over (H, W, C) with per-channel scale and
      shift (``GroupNormalization(groups=1)``, tflib's ``Layernorm``), WGAN-GP's
      recommended drop-in replacement;
    * ``"batch"`` -- ``BatchNormalization``, WGAN's DCGAN critic (Arjovsky et
      al. 2017, Figures 5-6). Not valid with a gradient penalty.

    Init: kernels N(0, 0.02), batch-norm scale N(1, 0.02) (WGAN's
    ``weights_init``). Convs followed by a normalisation have no bias.
    """
    size, channels = _check_image_shape(image_shape)
    filters = params.require_int("filters", filters, minimum=1)
    params.require_choice("normalization", normalization, NORMALIZATIONS)
    kernel_size = params.require_int("kernel_size", kernel_size, minimum=1)
    seeds = _Seeds(seed, "dcgan_critic")

    inputs = keras.Input((size, size, channels), name=f"{name}_input")
    x = inputs
    for i in range(_critic_downsamplings(size)):
        norm = normalization if i > 0 else None
        x = keras.layers.Conv2D(
            filters * 2**i,
            kernel_size,
            strides=2,
            padding="same",
            use_bias=norm is None,
            kernel_initializer=_dcgan_kernel(seeds),
            name=f"{name}_conv_{i + 1}",
        )(x)
        x = _normalization(x, norm, seeds, f"{name}_norm_{i + 1}", dcgan_init=True, image=True)
        x = keras.layers.LeakyReLU(0.2, name=f"{name}_lrelu_{i + 1}")(x)
    x = keras.layers.Flatten(name=f"{name}_flatten")(x)
    out = _critic_head(x, _dcgan_kernel(seeds), name)
    return keras.Model(inputs, out, name=name)


# --------------------------------------------------------------------------
# WGAN-GP ResNet
# --------------------------------------------------------------------------


def _conv(x, filters, kernel_size, initializer, name):
    return keras.layers.Conv2D(filters, kernel_size, padding="same", kernel_initializer=initializer, name=name)(x)


def _resblock_up(x, filters, seeds, name):
    """Generator block: BN, ReLU, upsample + conv3x3, BN, ReLU, conv3x3; upsample + 1x1 shortcut."""
    shortcut = keras.layers.UpSampling2D(2, name=f"{name}_shortcut_up")(x)
    shortcut = _conv(shortcut, filters, 1, _glorot(seeds), f"{name}_shortcut_conv")
    y = _normalization(x, "batch", seeds, f"{name}_bn_1")
    y = keras.layers.ReLU(name=f"{name}_relu_1")(y)
    y = keras.layers.UpSampling2D(2, name=f"{name}_up")(y)
    y = _conv(y, filters, 3, _he_fan_avg(seeds), f"{name}_conv_1")
    y = _normalization(y, "batch", seeds, f"{name}_bn_2")
    y = keras.layers.ReLU(name=f"{name}_relu_2")(y)
    y = _conv(y, filters, 3, _he_fan_avg(seeds), f"{name}_conv_2")
    return keras.layers.Add(name=f"{name}_add")([shortcut, y])


def _resblock_critic(x, filters, seeds, name, resample):
    """Critic block, no normalisation: ReLU, conv3x3, ReLU, conv3x3 (+ mean pool).

    ``resample="down"``: the second conv is followed by 2x2 mean pooling and
    the shortcut is conv1x1 + mean pool; ``None``: identity shortcut when the
    channel count is unchanged.
    """
    in_filters = x.shape[-1]
    if resample == "down":
        shortcut = _conv(x, filters, 1, _glorot(seeds), f"{name}_shortcut_conv")
        shortcut = keras.layers.AveragePooling2D(2, name=f"{name}_shortcut_pool")(shortcut)
    elif in_filters != filters:
        shortcut = _conv(x, filters, 1, _glorot(seeds), f"{name}_shortcut_conv")
    else:
        shortcut = x
    y = keras.layers.ReLU(name=f"{name}_relu_1")(x)
    y = _conv(y, in_filters if resample == "down" else filters, 3, _he_fan_avg(seeds), f"{name}_conv_1")
    y = keras.layers.ReLU(name=f"{name}_relu_2")(y)
    y = _conv(y, filters, 3, _he_fan_avg(seeds), f"{name}_conv_2")
    if resample == "down":
        y = keras.layers.AveragePooling2D(2, name=f"{name}_pool")(y)
    return keras.layers.Add(name=f"{name}_add")([shortcut, y])


def _resblock_first(x, filters, seeds, name):
    """The critic's "optimized" first block: conv3x3, ReLU, conv3x3 + mean pool;
    shortcut mean pool + conv1x1 (no pre-activation on the raw image)."""
    shortcut = keras.layers.AveragePooling2D(2, name=f"{name}_shortcut_pool")(x)
    shortcut = _conv(shortcut, filters, 1, _glorot(seeds), f"{name}_shortcut_conv")
    y = _conv(x, filters, 3, _he_fan_avg(seeds), f"{name}_conv_1")
    y = keras.layers.ReLU(name=f"{name}_relu")(y)
    y = _conv(y, filters, 3, _he_fan_avg(seeds), f"{name}_conv_2")
    y = keras.layers.AveragePooling2D(2, name=f"{name}_pool")(y)
    return keras.layers.Add(name=f"{name}_add")([shortcut, y])


def resnet_generator(
    latent_dim=128,
    image_shape=(32, 32, 3),
    filters=128,
    name="generator",
    seed=None,
):
    """WGAN-GP CIFAR-10 ResNet generator (Gulrajani et al. 2017, Section 6.3,
    Appendix, official ``gan_cifar_resnet.py``; inception score 7.86).

    ``Dense`` to 4x4x``filters`` (7x7 for 28x28 images), up-sampling residual
    blocks (BN, ReLU, nearest upsample, conv3x3, BN, ReLU, conv3x3; shortcut
    upsample + conv1x1) to the image size -- three for 32x32 -- then BN, ReLU,
    conv3x3 to the image's channels and tanh. Init as tflib: Glorot uniform
    for the dense, shortcut and output convs, uniform with variance
    4 / (fan_in + fan_out) for the residual convs.
    """
    latent_dim = params.require_int("latent_dim", latent_dim, minimum=1)
    size, channels = _check_image_shape(image_shape)
    filters = params.require_int("filters", filters, minimum=1)
    seeds = _Seeds(seed, "resnet_generator")
    start, n_up = _GEOMETRY[size]

    z = keras.Input((latent_dim,), name=f"{name}_latent")
    x = keras.layers.Dense(start * start * filters, kernel_initializer=_glorot(seeds), name=f"{name}_seed_dense")(z)
    x = keras.layers.Reshape((start, start, filters), name=f"{name}_seed_reshape")(x)
    for i in range(1, n_up + 1):
        x = _resblock_up(x, filters, seeds, f"{name}_block_{i}")
    x = _normalization(x, "batch", seeds, f"{name}_output_bn")
    x = keras.layers.ReLU(name=f"{name}_output_relu")(x)
    x = _conv(x, channels, 3, _glorot(seeds), f"{name}_output_conv")
    x = keras.layers.Activation("tanh", name=f"{name}_output_act")(x)
    return keras.Model(z, x, name=name)


def resnet_critic(
    image_shape=(32, 32, 3),
    filters=128,
    name="critic",
    seed=None,
):
    """WGAN-GP CIFAR-10 ResNet critic (Gulrajani et al. 2017, Section 6.3,
    Appendix, official ``gan_cifar_resnet.py``), without batch norm.

    An "optimized" first down-sampling block, down-sampling residual blocks
    to 8x8 (one for 32x32), two plain residual blocks, ReLU, global mean
    pooling and a linear ``Dense(1)``. All blocks keep ``filters`` channels.
    """
    size, channels = _check_image_shape(image_shape)
    filters = params.require_int("filters", filters, minimum=1)
    seeds = _Seeds(seed, "resnet_critic")

    inputs = keras.Input((size, size, channels), name=f"{name}_input")
    x = _resblock_first(inputs, filters, seeds, f"{name}_block_1")
    size //= 2
    block = 2
    while size > 8:
        x = _resblock_critic(x, filters, seeds, f"{name}_block_{block}", resample="down")
        size //= 2
        block += 1
    for _ in range(2):
        x = _resblock_critic(x, filters, seeds, f"{name}_block_{block}", resample=None)
        block += 1
    x = keras.layers.ReLU(name=f"{name}_relu")(x)
    x = keras.layers.GlobalAveragePooling2D(name=f"{name}_mean_pool")(x)
    out = _critic_head(x, _glorot(seeds), name)
    return keras.Model(inputs, out, name=name)


def has_layer(network, layer_types):
    """Whether ``network`` (any Keras layer or model) holds a layer of ``layer_types`` at any depth.

    Nested models count, and so do layers that a custom layer keeps as
    attributes, which ``network.layers`` (the top level only) misses.
    """
    # Keras's own recursive walk over tracked sublayers; it has no public one.
    return any(isinstance(layer, layer_types) for layer in network._flatten_layers())
