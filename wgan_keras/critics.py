"""Critics and discriminators trained against *fixed* distributions.

Several figures of both papers train only the critic, against a generator
that does not move: WGAN Figure 2 (optimal discriminator vs critic on two
1-D Gaussians), WGAN-GP Figure 1a (value surfaces against "real data plus
unit Gaussian noise") and Figure 1b (gradient norms through a deep critic),
and WGAN Figure 1's estimates on the parallel lines. ``fit_critic`` runs the
very critic update the models train with (``AdversarialModel.critic_step``:
the same objective, penalty and clipping), on batches drawn from two fixed
samples.
"""

import numpy as np
import scipy.ndimage
import tensorflow as tf

import keras
from keras import ops

from wgan_keras import data, losses, params, plots
from wgan_keras.models import GAN, WGAN, WGANGP

METHODS = ("gp", "clip", "gan")


def fixed_generator_samples(name, n, seed=0):
    """``(real, fake)`` of WGAN-GP Figure 1a: toy data and the data plus N(0, I).

    The official ``gan_toy.py`` in its ``FIXED_GENERATOR`` mode: the
    "generator" does not learn, its samples are real samples with unit
    Gaussian noise added, and only the critic trains.
    """
    real = data.toy(name, n, seed=seed)
    noise = np.random.default_rng(params.require_seed(seed) + 1).standard_normal(real.shape)
    return real, (real + noise).astype("float32")


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
    xs, ys, values = plots.critic_values_on_grid(critic, lim=lim, resolution=resolution)
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
    f_real, f_fake = _values(critic, real).ravel(), _values(critic, fake).ravel()
    spread = np.concatenate([f_real, f_fake]).std()
    if not spread > 0:
        return 0.0
    return float((f_real.mean() - f_fake.mean()) / spread)


def _placeholder_generator(sample_shape):
    """A generator the model classes require but ``fit_critic`` never calls."""
    inputs = keras.Input((1,))
    x = keras.layers.Dense(int(np.prod(sample_shape)))(inputs)
    return keras.Model(inputs, keras.layers.Reshape(sample_shape)(x), name="unused_generator")


def fit_critic(
    critic,
    real,
    fake,
    method="gp",
    steps=1000,
    batch_size=256,
    optimizer=None,
    clip_value=0.01,
    gp_weight=10.0,
    seed=0,
    record_every=None,
):
    """Train ``critic`` between two fixed samples and report its estimate.

    Args:
        critic: ``keras.Model`` from samples to values ``(batch, 1)``. For
            ``method="gan"`` its outputs are logits.
        real, fake: arrays ``(n, ...)`` drawn from ``P_r`` and ``P_g``.
        method: ``"gp"`` (WGAN-GP critic loss, eq. 3), ``"clip"`` (WGAN
            critic loss with weight clipping, Algorithm 1 lines 5-7) or
            ``"gan"`` (the GAN discriminator's cross-entropy).
        steps: critic updates, each on a fresh batch of each sample.
        batch_size: batch size of each sample.
        optimizer: default: the paper's (RMSProp 5e-5 for clipping, Adam(1e-4,
            0, 0.9) for the penalty, Adam(2e-4, 0.5) for the GAN).
        clip_value, gp_weight: as in ``WGAN`` and ``WGANGP``.
        seed: seeds batch sampling and the penalty's interpolation.
        record_every: also return the estimate every this many steps.

    Returns:
        A dict with ``critic`` (trained in place) and, on the whole samples,
        ``wasserstein_estimate`` (``E f(real) - E f(fake)``; for clipping, up
        to the critic's Lipschitz constant) or, for ``"gan"``,
        ``discriminator_loss`` and ``js_estimate``; ``history``: a list of
        ``(step, estimate)`` when ``record_every`` is set.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}.")
    steps = params.require_int("steps", steps, minimum=1)
    batch_size = params.require_int("batch_size", batch_size, minimum=1)
    real = np.asarray(real, dtype="float32")
    fake = np.asarray(fake, dtype="float32")
    if real.shape[1:] != fake.shape[1:]:
        raise ValueError(f"real and fake must have the same sample shape; got {real.shape} and {fake.shape}.")
    sample_shape = real.shape[1:]
    generator = _placeholder_generator(sample_shape)
    if method == "gp":
        model = WGANGP(generator, critic, n_critic=1, gp_weight=gp_weight, seed=seed)
    elif method == "clip":
        model = WGAN(generator, critic, n_critic=1, clip_value=clip_value, critic_warmup=False, seed=seed)
    else:
        model = GAN(generator, critic, seed=seed)
    model.compile(critic_optimizer=optimizer)

    @tf.function(reduce_retracing=True, autograph=False)
    def step(real_batch, fake_batch):
        model.critic_step(real_batch, fake_batch)

    rng = np.random.default_rng(seed)
    real_t, fake_t = tf.constant(real), tf.constant(fake)
    history = []
    for i in range(steps):
        r = rng.integers(0, len(real), batch_size)
        f = rng.integers(0, len(fake), batch_size)
        step(tf.gather(real_t, r), tf.gather(fake_t, f))
        if record_every and (i + 1) % record_every == 0:
            history.append((i + 1, _estimate(critic, real, fake, method)[0]))
    _, scores = _estimate(critic, real, fake, method)
    return {"critic": critic, "history": history, **scores}


def _values(critic, samples):
    return ops.convert_to_numpy(critic.predict(np.asarray(samples, "float32"), batch_size=4096, verbose=0))


def _estimate(critic, real, fake, method):
    real_values, fake_values = _values(critic, real), _values(critic, fake)
    if method == "gan":
        loss = float(losses.gan_discriminator_loss(real_values, fake_values))
        js = float(losses.js_estimate(loss))
        return js, {"discriminator_loss": loss, "js_estimate": js}
    w = float(losses.wasserstein_estimate(real_values, fake_values))
    return w, {"wasserstein_estimate": w}
