"""The standard GAN (Goodfellow et al. 2014), the baseline both papers argue against."""

import keras

from wgan_keras import losses, optimizers
from wgan_keras.models.base import AdversarialModel


@keras.saving.register_keras_serializable(package="wgan_keras")
class GAN(AdversarialModel):
    """Standard GAN trained from the discriminator's logits.

    Algorithm 1 of Goodfellow et al. (2014) with ``n_discriminator`` (their
    ``k``) discriminator updates per generator update, each on a fresh real
    minibatch and fresh noise. The discriminator minimises the sum of the real
    and fake sigmoid cross-entropies; the generator minimises either
    ``E[log(1 - D(G(z)))]`` (``loss="minimax"``) or ``-E[log D(G(z))]``
    (``loss="non_saturating"``, the default). Default optimizers: Adam(2e-4,
    beta_1=0.5) (DCGAN, Radford et al. 2016), the baseline of WGAN Section 4.

    Args:
        generator: ``keras.Model`` from noise ``(batch, latent_dim)`` to samples.
        discriminator: ``keras.Model`` from samples to *logits* ``(batch, 1)``
            (no sigmoid).
        loss: ``"non_saturating"`` or ``"minimax"``.
        n_discriminator: discriminator updates per generator update.
        seed: seeds every random draw of training (int).

    Logged metrics (epoch means): ``discriminator_loss``, ``generator_loss``
    and ``js_estimate`` = ``log 2 - discriminator_loss / 2`` (WGAN Figure 4).
    """

    critic_name = "discriminator"
    metric_names = ("discriminator_loss", "generator_loss", "js_estimate")
    validation_metric_names = ("discriminator_loss", "js_estimate")

    def __init__(
        self,
        generator,
        discriminator,
        loss="non_saturating",
        n_discriminator=1,
        seed=None,
        name="gan",
        **kwargs,
    ):
        if loss not in losses.GENERATOR_LOSSES:
            raise ValueError(f"loss must be one of {losses.GENERATOR_LOSSES}; got {loss!r}.")
        self.generator_loss_name = loss
        if "n_critic" in kwargs:
            raise ValueError(
                "GAN takes n_discriminator= (discriminator updates per generator update), "
                f"not n_critic=; got n_critic={kwargs['n_critic']!r}."
            )
        super().__init__(generator, discriminator, n_critic=n_discriminator, seed=seed, name=name, **kwargs)

    @property
    def critic(self):
        """The discriminator, under the name the shared training loop uses."""
        return self.discriminator

    @property
    def n_discriminator(self):
        return self.n_critic

    @property
    def critic_optimizer_arg(self):
        return "discriminator_optimizer"

    def compile(self, generator_optimizer=None, discriminator_optimizer=None, **kwargs):
        """As ``WGAN.compile``; the second optimizer is ``discriminator_optimizer``."""
        if "critic_optimizer" in kwargs:
            if discriminator_optimizer is not None:
                raise ValueError("Pass discriminator_optimizer or critic_optimizer, not both.")
            discriminator_optimizer = kwargs.pop("critic_optimizer")
        super().compile(generator_optimizer, discriminator_optimizer, **kwargs)

    @property
    def discriminator_optimizer(self):
        return self.critic_optimizer

    def default_optimizers(self, learning_rate=None, beta_1=None):
        return self.two_optimizers(optimizers.gan_adam, learning_rate, beta_1)

    def critic_objective(self, real, fake, training=True, seed=None):
        real_logits, fake_logits = self.critic_values(real, fake, training)
        loss = losses.gan_discriminator_loss(real_logits, fake_logits)
        return loss, {"discriminator_loss": loss, "js_estimate": losses.js_estimate(loss)}

    def generator_objective(self, fake_values):
        return losses.gan_generator_loss(fake_values, self.generator_loss_name)

    def get_config(self):
        config = super().get_config()
        config["n_discriminator"] = config.pop("n_critic")
        config["loss"] = self.generator_loss_name
        return config
