"""Measurements of training signals: how much gradient reaches the generator.

WGAN Section 3 (and Arjovsky & Bottou 2017, Figure 2) argue that the GAN's
generator gradient vanishes as the discriminator approaches optimality with
the minimax loss, and becomes unstable with the ``-log D`` loss, while the
WGAN critic keeps giving useful gradients. ``generator_gradient_norm``
measures exactly that quantity.
"""

import tensorflow as tf

import keras

from wgan_keras import losses

GENERATOR_OBJECTIVES = ("minimax", "non_saturating", "wasserstein")


def generator_gradient_norm(generator, critic, objective, n=1024, seed=0):
    """``||grad_theta L_G||_2`` over all generator weights, on ``n`` noise samples.

    Args:
        generator: ``keras.Model`` from noise ``(n, latent_dim)`` to samples.
        critic: the discriminator (logits) or critic it is trained against.
        objective: ``"minimax"`` (``E log(1 - D(G(z)))``), ``"non_saturating"``
            (``-E log D(G(z))``) or ``"wasserstein"`` (``-E f(G(z))``).
        n: noise samples.
        seed: the noise seed, so several critics can be compared on one batch.
    """
    if objective not in GENERATOR_OBJECTIVES:
        raise ValueError(f"objective must be one of {GENERATOR_OBJECTIVES}; got {objective!r}.")
    latent_dim = generator.input_shape[-1]
    noise = keras.random.normal((n, latent_dim), seed=seed)
    with tf.GradientTape() as tape:
        values = critic(generator(noise, training=False), training=False)
        if objective == "wasserstein":
            loss = losses.wasserstein_generator_loss(values)
        else:
            loss = losses.gan_generator_loss(values, objective)
    gradients = tape.gradient(loss, generator.trainable_variables)
    return float(tf.linalg.global_norm([g for g in gradients if g is not None]))
