"""WGAN with weight clipping (Arjovsky, Chintala, Bottou 2017, Algorithm 1)."""

import keras

from wgan_keras import losses, optimizers, params
from wgan_keras.models.base import AdversarialModel

#: The official code's schedule (not in the paper): 100 critic iterations for
#: the first 25 generator iterations and every 500th one, "to start with the
#: critic at optimum" (martinarjovsky/WassersteinGAN, main.py).
OFFICIAL_WARMUP = {"critic_iterations": 100, "first": 25, "every": 500}


@keras.saving.register_keras_serializable(package="wgan_keras")
class WGAN(AdversarialModel):
    """Wasserstein GAN with weight clipping.

    Algorithm 1 of the paper: for every generator iteration, ``n_critic``
    critic updates on fresh real minibatches and fresh noise, each followed by
    clipping every trainable critic variable (kernels, biases, normalisation
    parameters) to ``[-clip_value, clip_value]`` (line 7); then one generator
    update on ``-E[f(G(z))]`` (line 10). Default optimizers: RMSProp with
    learning rate 5e-5 for both networks ("used in all experiments"; momentum
    destabilises the clipped critic, Section 4.2), configured as the official
    code's (``wgan_keras.optimizers.wgan_rmsprop``).

    Args:
        generator: ``keras.Model`` from noise ``(batch, latent_dim)`` to samples.
        critic: ``keras.Model`` from samples to values ``(batch, 1)``, with no
            final activation.
        n_critic: critic updates per generator iteration (paper: 5).
        clip_value: the clipping bound ``c`` (paper: 0.01).
        critic_warmup: the official code's schedule of 100 critic iterations
            for the first 25 generator iterations and every 500th (on by
            default); ``False`` for plain Algorithm 1; or a dict with keys
            ``critic_iterations``, ``first`` and ``every``.
        seed: seeds every random draw of training (int).

    Logged metrics (epoch means): ``critic_loss`` (``E f(fake) - E f(real)``),
    ``generator_loss`` and ``wasserstein_estimate`` (``-critic_loss``, the
    quantity of WGAN Figure 3).
    """

    metric_names = ("critic_loss", "generator_loss", "wasserstein_estimate")
    validation_metric_names = ("critic_loss", "wasserstein_estimate")

    def __init__(
        self,
        generator,
        critic,
        n_critic=5,
        clip_value=0.01,
        critic_warmup=True,
        seed=None,
        name="wgan",
        **kwargs,
    ):
        self.clip_value = params.require_number("clip_value", clip_value, minimum=0, exclusive_minimum=True)
        self.critic_warmup = _warmup_schedule(critic_warmup)
        super().__init__(generator, critic, n_critic=n_critic, seed=seed, name=name, **kwargs)
        if self.critic_warmup and self.critic_warmup["critic_iterations"] < self.n_critic:
            raise ValueError(
                "critic_warmup['critic_iterations'] must be >= n_critic "
                f"({self.n_critic}); got {self.critic_warmup['critic_iterations']}."
            )

    def default_optimizers(self, learning_rate=None, beta_1=None):
        if beta_1 is not None:
            raise ValueError(f"WGAN trains with RMSProp, which has no beta_1; got beta_1={beta_1!r}.")
        return self.two_optimizers(optimizers.wgan_rmsprop, learning_rate)

    @property
    def has_critic_schedule(self):
        return bool(self.critic_warmup)

    def critic_iterations(self, generator_iteration):
        schedule = self.critic_warmup
        if schedule and (generator_iteration < schedule["first"] or generator_iteration % schedule["every"] == 0):
            return schedule["critic_iterations"]
        return self.n_critic

    def critic_objective(self, real, fake, training=True, seed=None):
        real_values, fake_values = self.critic_values(real, fake, training)
        loss = losses.wasserstein_critic_loss(real_values, fake_values)
        return loss, {"critic_loss": loss, "wasserstein_estimate": -loss}

    @property
    def critic_clip_value(self):
        """Every trainable critic variable is clipped to ``[-c, c]`` after each update (line 7)."""
        return self.clip_value

    def generator_objective(self, fake_values):
        return losses.wasserstein_generator_loss(fake_values)

    def get_config(self):
        config = super().get_config()
        config.update(clip_value=self.clip_value, critic_warmup=self.critic_warmup or False)
        return config


def _warmup_schedule(value):
    if value is True:
        return dict(OFFICIAL_WARMUP)
    if value is False or value is None:
        return None
    if isinstance(value, dict) and set(value) == set(OFFICIAL_WARMUP):
        for key, number in value.items():
            params.require_int(f"critic_warmup[{key!r}]", number, minimum=1)
        return dict(value)
    raise ValueError(
        "critic_warmup must be True (the official schedule "
        f"{OFFICIAL_WARMUP}), False, or a dict with keys {sorted(OFFICIAL_WARMUP)}; got {value!r}."
    )
