"""Measurements of trained networks, the numbers behind the papers' figures.

Nothing here draws; ``wgan_keras.plots`` draws what these functions return.

* :func:`critic_values_on_grid`, :func:`critic_values`: a critic's values
  (WGAN-GP Figure 1a's value surfaces; WGAN Figure 2's critic and
  discriminator).
* :func:`peaks_on_modes`, :func:`normalised_margin`: how well a critic
  captures a distribution, independent of its scale (Figure 1a).
* :func:`critic_gradient_norms`, :func:`critic_kernel_weights`: gradient
  norms per layer and the weights of a deep critic (WGAN-GP Figure 1b).
* :func:`generator_gradient_norm`: how much gradient reaches the generator
  (WGAN Section 3; Arjovsky & Bottou 2017, Figure 2).

A *critic* argument may be a ``keras.Model``, any callable from samples to
values, or an adversarial model (its ``critic`` or ``discriminator``; a
GAN's values are logits).
"""

import contextlib

import keras
import numpy as np
import scipy.ndimage
from keras import ops

from wgan_keras import compiled, losses, params
from wgan_keras.arrays import to_numpy
from wgan_keras.autodiff import input_gradient, value_and_gradients

GENERATOR_OBJECTIVES = ("minimax", "non_saturating", "wasserstein")


def as_critic(critic):
    """The critic network of ``critic`` (see the module docstring)."""
    for name in ("critic", "discriminator"):
        inner = getattr(critic, name, None)
        if isinstance(inner, keras.Model):
            return inner
    if not callable(critic):
        raise TypeError(
            "critic must be a keras.Model, a callable from samples to values, or a model with a "
            f"`critic` or `discriminator` attribute; got {type(critic).__name__}."
        )
    return critic


def critic_values(critic, samples, batch_size=4096):
    """The critic's value of each sample, a float64 array ``(n,)``."""
    critic = as_critic(critic)
    values = compiled.predict(critic, to_numpy(samples, "samples", "float32"), batch_size)
    values = values.reshape(len(values), -1)
    if values.shape[1] != 1:
        raise ValueError(
            f"The critic must return one value per sample, shape (n, 1) or (n,); got {values.shape[1]} per sample."
        )
    return values[:, 0].astype(np.float64)


def critic_values_on_grid(critic, lim=3.0, resolution=128, batch_size=8192):
    """The critic's value on a ``resolution x resolution`` grid over ``[-lim, lim]^2``.

    The data of WGAN-GP Figure 1a (128 x 128 over ``[-3, 3]^2`` in the
    official ``gan_toy.py``). ``Z`` is laid out the way ``plt.contour(xs,
    ys, Z)`` expects: rows follow ``y``, columns follow ``x``. (The official
    code fills the points with ``meshgrid`` and transposes the reshaped
    values; getting that transpose wrong mirrors the surface across the
    diagonal, which is invisible on symmetric data such as the 8 or 25
    Gaussians but not on the Swiss roll.)

    Returns:
        ``(xs, ys, Z)``: ``xs`` and ``ys`` of shape ``(resolution,)`` from
        ``-lim`` to ``lim``, and ``Z`` of shape ``(resolution, resolution)``
        with ``Z[i, j] = f(xs[j], ys[i])``.
    """
    resolution = params.require_int("resolution", resolution, minimum=2)
    lim = params.require_number("lim", lim, minimum=0, exclusive_minimum=True)
    xs = np.linspace(-lim, lim, resolution)
    ys = np.linspace(-lim, lim, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)  # "xy" indexing: grid_x[i, j] = xs[j], grid_y[i, j] = ys[i]
    points = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype("float32")
    return xs, ys, critic_values(critic, points, batch_size).reshape(resolution, resolution)


def peaks_on_modes(critic, centers, radius=0.1, lim=3.0, resolution=128, neighbourhood=2):
    """Mode centres with a strict local maximum of the critic within ``radius``.

    The measure behind WGAN-GP Figure 1a ("the penalised critic captures the
    distribution"): the critic's values on the plot's grid (``resolution``
    points per axis over ``[-lim, lim]^2``), a grid point is a peak when no
    other point within ``neighbourhood`` grid cells is larger and some are
    smaller (the inside of a flat region is no peak), and a centre counts
    when a peak lies within ``radius`` of it. Independent of the critic's
    scale.

    Returns:
        ``(captured, k)``: centres with a peak, and the number of centres.
    """
    centers = np.asarray(centers, dtype="float64")
    if centers.ndim != 2 or centers.shape[1] != 2:
        raise ValueError(f"centers must have shape (k, 2); got {centers.shape}.")
    radius = params.require_number("radius", radius, minimum=0, exclusive_minimum=True)
    size = 2 * params.require_int("neighbourhood", neighbourhood, minimum=1) + 1
    xs, ys, values = critic_values_on_grid(critic, lim=lim, resolution=resolution)
    others = np.ones((size, size), dtype=bool)
    others[size // 2, size // 2] = False
    highest = scipy.ndimage.maximum_filter(values, footprint=others, mode="nearest")
    lowest = scipy.ndimage.minimum_filter(values, footprint=others, mode="nearest")
    # >= so that a centre midway between grid points (two equal neighbours)
    # still has its peak; > lowest so that a flat region has none.
    is_peak = (values >= highest) & (values > lowest)
    grid_x, grid_y = np.meshgrid(xs, ys)
    peaks = np.stack([grid_x[is_peak], grid_y[is_peak]], axis=1)
    if not len(peaks):
        return 0, len(centers)
    distances = np.linalg.norm(centers[:, None, :] - peaks[None, :, :], axis=-1).min(axis=1)
    return int(np.sum(distances < radius)), len(centers)


def normalised_margin(critic, real, fake):
    """``(E f(real) - E f(fake)) / std f`` over both samples (scale-free).

    How well a critic separates the data from the fixed fake samples, in
    units of the spread of its values: comparable between a clipped critic
    (tiny values) and a penalised one. WGAN-GP Figure 1a on the Swiss roll.
    """
    f_real, f_fake = critic_values(critic, real), critic_values(critic, fake)
    spread = np.concatenate([f_real, f_fake]).std()
    if not spread > 0:
        return 0.0
    return float((f_real.mean() - f_fake.mean()) / spread)


def kernel_layers(model):
    """The Dense / Conv layers of ``model`` that own a kernel, input to output.

    Nested models are searched recursively, in the order of ``model.layers``.
    """
    found = []

    def visit(layer):
        children = getattr(layer, "layers", None)
        if isinstance(layer, keras.Model) or (children and not hasattr(layer, "kernel")):
            for child in children or ():
                visit(child)
            return
        if not (isinstance(layer, (keras.layers.Dense, keras.layers.EinsumDense)) or "Conv" in type(layer).__name__):
            return
        try:
            kernel = layer.kernel
        except (AttributeError, ValueError):
            return
        if kernel is not None:
            found.append(layer)

    visit(model)
    return found


def _kernel_layers_of(critic):
    critic = as_critic(critic)
    if not isinstance(critic, keras.Model):
        raise TypeError(f"critic must be a keras.Model to find its layers; got {type(critic).__name__}.")
    layers = kernel_layers(critic)
    if not layers:
        raise ValueError(f"{critic.name} has no Dense or convolution layer with a kernel.")
    return critic, layers


@contextlib.contextmanager
def _critic_in_dtype(critic, dtype):
    """``critic`` as measured: its own dtype, or a float64 copy (on JAX with 64-bit types switched on)."""
    if dtype is not None:
        params.require_choice("dtype", dtype, ("float32", "float64"))
    if dtype != "float64":
        yield critic
        return
    if keras.backend.backend() == "jax":
        import jax

        with jax.enable_x64(True):
            yield in_float64(as_critic(critic))
    else:
        yield in_float64(as_critic(critic))


def in_float64(model):
    """A copy of ``model`` that computes in float64, with the same weights.

    Gradients through a deep clipped critic can be about 1e-25: representable
    in float32, but their squares are not, so a norm computed in float32
    comes out as exactly 0. On JAX, call it inside ``jax.enable_x64(True)``
    (the measures with ``dtype="float64"`` do), else JAX computes in float32.
    """
    if keras.backend.backend() == "jax":
        import jax

        if not jax.config.jax_enable_x64:
            raise RuntimeError("in_float64 on JAX needs 64-bit types: call it inside `with jax.enable_x64(True):`.")

    def clone(layer):
        return layer.__class__.from_config({**layer.get_config(), "dtype": "float64"})

    copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


def critic_gradient_norms(critic, x, y=None, training=False, dtype=None):
    """Gradient norm of the critic's objective w.r.t. each layer's kernel.

    What WGAN-GP Figure 1b (left) plots, per layer from input to output.
    With only ``x`` the objective is ``mean f(x)``; with ``y`` (e.g. ``x``
    real and ``y`` generated samples) it is the critic's Wasserstein loss
    ``mean f(y) - mean f(x)``. Only the kernels of Dense and convolution
    layers count (not biases or normalisation parameters). ``dtype="float64"``
    computes on a float64 copy (:func:`in_float64`), for norms that
    underflow in float32.

    Returns:
        A list of floats, one per Dense/Conv layer, in layer order.
    """
    with _critic_in_dtype(critic, dtype) as critic:
        return _critic_gradient_norms(critic, x, y, training)


def _critic_gradient_norms(critic, x, y, training):
    critic, layers = _kernel_layers_of(critic)
    x = ops.convert_to_tensor(to_numpy(x, "x", critic.compute_dtype))
    y = None if y is None else ops.convert_to_tensor(to_numpy(y, "y", critic.compute_dtype))

    def objective():
        value = ops.mean(critic(x, training=training))
        return value if y is None else ops.mean(critic(y, training=training)) - value

    _, gradients = value_and_gradients(objective, [layer.kernel for layer in layers])
    return [float(np.linalg.norm(to_numpy(g))) for g in gradients]


def critic_backprop_norms(critic, x, dtype=None):
    """Mean per-sample norm of ``d f(x) / d h_k``, for the input ``h_k`` of each layer.

    The gradient as backpropagation carries it down a deep critic: the
    quantity that explodes or vanishes in WGAN-GP Figure 1b (left), one value
    per Dense/Conv layer from input to output. The first entry is the input
    gradient ``||grad_x f(x)||`` that the penalty holds at 1. Each step
    towards the input multiplies it by a layer's gain, so clipped weights
    with a gain above 1 make it grow towards the input and a gain below 1
    makes it shrink. (The gradient w.r.t. a layer's *kernel*,
    :func:`critic_gradient_norms`, multiplies this by the layer's input,
    whose size grows the other way, and so hides the trend.) ``dtype`` as in
    :func:`critic_gradient_norms`. The critic must be a functional model.

    Returns:
        A list of floats, one per Dense/Conv layer, in layer order.
    """
    with _critic_in_dtype(critic, dtype) as critic:
        return _critic_backprop_norms(critic, x)


def _critic_backprop_norms(critic, x):
    critic, layers = _kernel_layers_of(critic)
    try:
        (inputs,), (outputs,) = critic.inputs, critic.outputs
        layer_inputs = keras.Model(inputs, [layer.input for layer in layers])
        heads = [keras.Model(layer.input, outputs) for layer in layers]
    except (AttributeError, ValueError) as error:
        raise TypeError(f"critic must be a functional keras.Model with one input and one output: {error}") from error
    x = to_numpy(x, "x", critic.compute_dtype)
    hidden = layer_inputs(x)
    hidden = hidden if isinstance(hidden, (list, tuple)) else [hidden]
    norms = []
    for head, h in zip(heads, hidden):
        gradient = to_numpy(input_gradient(head, h)).reshape(len(x), -1)
        norms.append(float(np.linalg.norm(gradient, axis=1).mean()))
    return norms


def critic_kernel_weights(critic):
    """All Dense/Conv kernel weights of ``critic`` as one flat float64 array."""
    _, layers = _kernel_layers_of(critic)
    return np.concatenate([to_numpy(layer.kernel, "kernel", "float64").ravel() for layer in layers])


def generator_gradient_norm(generator, critic, objective, n=1024, seed=0):
    """``||grad_theta L_G||_2`` over all generator weights, on ``n`` noise samples.

    WGAN Section 3 (and Arjovsky & Bottou 2017, Figure 2) argue that the
    GAN's generator gradient vanishes as the discriminator approaches
    optimality with the minimax loss, and becomes unstable with the
    ``-log D`` loss, while the WGAN critic keeps giving useful gradients.

    Args:
        generator: ``keras.Model`` from noise ``(n, latent_dim)`` to samples.
        critic: the discriminator (logits) or critic it is trained against.
        objective: ``"minimax"`` (``E log(1 - D(G(z)))``), ``"non_saturating"``
            (``-E log D(G(z))``) or ``"wasserstein"`` (``-E f(G(z))``).
        n: noise samples.
        seed: the noise seed, so several critics can be compared on one batch.
    """
    params.require_choice("objective", objective, GENERATOR_OBJECTIVES)
    critic = as_critic(critic)
    noise = keras.random.normal((params.require_int("n", n, minimum=1), generator.input_shape[-1]), seed=seed)

    def loss():
        values = critic(generator(noise, training=False), training=False)
        if objective == "wasserstein":
            return losses.wasserstein_generator_loss(values)
        return losses.gan_generator_loss(values, objective)

    _, gradients = value_and_gradients(loss, generator.trainable_variables)
    return float(np.sqrt(sum(float(np.sum(np.square(to_numpy(g)))) for g in gradients)))
