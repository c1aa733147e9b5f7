"""Critics and discriminators trained against *fixed* distributions.

Several figures of both papers train only the critic, against a generator
that does not move: WGAN Figure 2 (optimal discriminator vs critic on two
1-D Gaussians), WGAN-GP Figure 1a (value surfaces against "real data plus
unit Gaussian noise") and Figure 1b (gradient norms through a deep critic),
and WGAN Figure 1's estimates on the parallel lines. ``fit_critic`` runs the
very critic update the models train with (the same objective, penalty and
clipping, compiled the same way on every backend), on batches drawn from two
fixed samples. The measurements of the trained critics are in
``wgan_keras.measures``.
"""

import keras
import numpy as np

from wgan_keras import data, losses, params
from wgan_keras.measures import critic_values
from wgan_keras.models import build

#: ``fit_critic`` methods and the model whose critic update each one runs.
METHODS = {"gp": "wgan-gp", "clip": "wgan", "gan": "gan"}


def fixed_generator_samples(name, n, seed=0):
    """``(real, fake)`` of WGAN-GP Figure 1a: toy data and the data plus N(0, I).

    The official ``gan_toy.py`` in its ``FIXED_GENERATOR`` mode: the
    "generator" does not learn, its samples are real samples with unit
    Gaussian noise added, and only the critic trains.
    """
    real = data.toy(name, n, seed=seed)
    noise = np.random.default_rng(params.require_seed(seed) + 1).standard_normal(real.shape)
    return real, (real + noise).astype("float32")


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
    learning_rate=None,
    beta_1=None,
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
        learning_rate, beta_1: the paper's optimizer with this rate (and, for
            the Adam-based methods, this beta_1; the WGAN-GP toy code uses 0.5).
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
    params.require_choice("method", method, tuple(METHODS))
    steps = params.require_int("steps", steps, minimum=1)
    batch_size = params.require_int("batch_size", batch_size, minimum=1)
    record_every = None if record_every is None else params.require_int("record_every", record_every, minimum=1)
    real = np.asarray(real, dtype="float32")
    fake = np.asarray(fake, dtype="float32")
    if real.shape[1:] != fake.shape[1:]:
        raise ValueError(f"real and fake must have the same sample shape; got {real.shape} and {fake.shape}.")
    options = {
        "gan": {},
        "clip": {"n_critic": 1, "clip_value": clip_value, "critic_warmup": False},
        "gp": {"n_critic": 1, "gp_weight": gp_weight},
    }
    model = build(METHODS[method], _placeholder_generator(real.shape[1:]), critic, seed=seed, **options[method])
    model.compile(critic_optimizer=optimizer, learning_rate=learning_rate, beta_1=beta_1)
    update = model.critic_update_function()
    rng = np.random.default_rng(seed)
    history = []
    for i in range(steps):
        update(real[rng.integers(0, len(real), batch_size)], fake[rng.integers(0, len(fake), batch_size)])
        if record_every and (i + 1) % record_every == 0:
            history.append((i + 1, _estimate(critic, real, fake, method)[0]))
    _, scores = _estimate(critic, real, fake, method)
    return {"critic": critic, "history": history, **scores}


def _estimate(critic, real, fake, method):
    real_values, fake_values = critic_values(critic, real), critic_values(critic, fake)
    if method == "gan":
        loss = float(losses.gan_discriminator_loss(real_values, fake_values))
        js = float(losses.js_estimate(loss))
        return js, {"discriminator_loss": loss, "js_estimate": js}
    w = float(losses.wasserstein_estimate(real_values, fake_values))
    return w, {"wasserstein_estimate": w}


def converged_js_estimate(
    discriminator, real, fake, held_out_real, held_out_fake, steps=500, batch_size=64, learning_rate=None, seed=0
):
    """JS estimate of a discriminator trained from scratch on fixed samples, measured on held-out ones.

    WGAN Section 4.2 (Figure 4) reads ``1/2 L(D, g) + log 2`` as an estimate
    of ``JS(P_r, P_g)``, where ``L = E log D(x) + E log(1 - D(g(z)))``. It is
    a lower bound that is tight only at the optimal discriminator, so a
    discriminator that trains alongside the generator (one update per
    generator step) can sit far below it. This function gives the bound its
    meaning: ``discriminator`` (untrained, outputs logits) is trained for
    ``steps`` updates of the GAN discriminator loss (``fit_critic(method=
    "gan")``) on ``real`` against ``fake``, then evaluated on
    ``held_out_real`` and ``held_out_fake``, samples it never saw, so that a
    discriminator that memorised its training samples does not inflate the
    estimate. ``learning_rate`` replaces the rate of the GAN's Adam(2e-4, 0.5).

    Returns:
        A dict: ``js_estimate`` and ``discriminator_loss`` on the held-out
        samples, ``train_js_estimate`` on the training samples.
    """
    held_out_real = np.asarray(held_out_real, dtype="float32")
    held_out_fake = np.asarray(held_out_fake, dtype="float32")
    if held_out_real.shape[1:] != held_out_fake.shape[1:]:
        raise ValueError(
            "held_out_real and held_out_fake must have the same sample shape; "
            f"got {held_out_real.shape} and {held_out_fake.shape}."
        )
    fit = fit_critic(
        discriminator,
        real,
        fake,
        method="gan",
        steps=steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
    )
    _, scores = _estimate(discriminator, held_out_real, held_out_fake, "gan")
    return {**scores, "train_js_estimate": fit["js_estimate"]}
