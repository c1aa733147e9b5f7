"""WGAN-GP: WGAN with a gradient penalty (Gulrajani et al. 2017, Algorithm 1)."""

import warnings

import keras
from keras import ops

from wgan_keras import losses, optimizers, params
from wgan_keras.models.base import AdversarialModel


@keras.saving.register_keras_serializable(package="wgan_keras")
class WGANGP(AdversarialModel):
    """Wasserstein GAN with gradient penalty.

    Algorithm 1 of the paper, for every generator iteration and each of
    ``n_critic`` critic updates: a fresh real minibatch ``x`` and noise ``z``,
    ``eps ~ U[0, 1]`` per sample, ``x^ = eps x + (1 - eps) G(z)``, and the loss
    ``L = D(G(z)) - D(x) + lambda (||grad_{x^} D(x^)||_2 - 1)^2`` (line 7);
    then one generator update on ``-D(G(z))`` (line 11). Default optimizers:
    Adam(1e-4, beta_1=0, beta_2=0.9) for both networks.

    The penalty is ``wgan_keras.losses.gradient_penalty`` itself, with the
    model's seeded ``eps``, the norm over all non-batch axes (vectors and images) and a small
    ``epsilon`` inside the square root so a zero gradient gives no NaN.

    Args:
        generator, critic: as for ``WGAN``. The paper's critic has no batch
            normalisation (it makes the penalty invalid, Section 4); a critic
            with BatchNormalization triggers a warning.
        n_critic: critic updates per generator iteration (paper: 5).
        gp_weight: lambda (paper: 10; the toy code uses 0.1).
        target: the gradient norm the penalty pulls towards (paper: 1).
        one_sided: penalise only norms above ``target``.
        epsilon: inside the square root of the gradient norm.
        seed: seeds every random draw of training (int).

    Logged metrics (epoch means): ``critic_loss`` (with the penalty),
    ``generator_loss``, ``wasserstein_estimate`` (``E D(x) - E D(G(z))``),
    ``gradient_penalty`` (without lambda) and ``gradient_norm`` (the mean
    ``||grad D(x^)||``).
    """

    metric_names = (
        "critic_loss",
        "generator_loss",
        "wasserstein_estimate",
        "gradient_penalty",
        "gradient_norm",
    )
    validation_metric_names = ("wasserstein_estimate",)

    def __init__(
        self,
        generator,
        critic,
        n_critic=5,
        gp_weight=10.0,
        target=1.0,
        one_sided=False,
        epsilon=1e-12,
        seed=None,
        name="wgan_gp",
        **kwargs,
    ):
        self.gp_weight = params.require_number("gp_weight", gp_weight, minimum=0)
        self.target = params.require_number("target", target, minimum=0, exclusive_minimum=True)
        self.one_sided = bool(one_sided)
        self.epsilon = params.require_number("epsilon", epsilon, minimum=0)
        super().__init__(generator, critic, n_critic=n_critic, seed=seed, name=name, **kwargs)
        if not self._fused_critic_pass:
            warnings.warn(
                "The critic contains BatchNormalization. WGAN-GP penalises the critic's gradient "
                "for each input independently, which batch normalisation invalidates "
                "(Gulrajani et al. 2017, Section 4: use no normalisation or layer normalisation, "
                "e.g. wk.nets.dcgan_critic(normalization='layer')).",
                stacklevel=2,
            )

    def default_optimizers(self, learning_rate=None, beta_1=None):
        return self.two_optimizers(optimizers.wgan_gp_adam, learning_rate, beta_1)

    def critic_objective(self, real, fake, training=True, seed=None):
        real = ops.cast(real, fake.dtype)
        eps = self.replica_slice(lambda n: keras.random.uniform((n,), seed=self._stream(seed)), ops.shape(real)[0])
        real_values, fake_values = self.critic_values(real, fake, training)
        penalty, norms = losses.gradient_penalty(
            self.critic,
            real,
            fake,
            eps=eps,
            target=self.target,
            one_sided=self.one_sided,
            epsilon=self.epsilon,
            return_norms=True,
            training=training,
        )
        # In float32 under mixed precision too, like the penalty.
        estimate = ops.cast(losses.wasserstein_estimate(real_values, fake_values), "float32")
        loss = -estimate + self.gp_weight * penalty
        return loss, {
            "critic_loss": loss,
            "wasserstein_estimate": estimate,
            "gradient_penalty": penalty,
            "gradient_norm": ops.mean(norms),
        }

    def generator_objective(self, fake_values):
        return losses.wasserstein_generator_loss(fake_values)

    def get_config(self):
        config = super().get_config()
        config.update(
            gp_weight=self.gp_weight,
            target=self.target,
            one_sided=self.one_sided,
            epsilon=self.epsilon,
        )
        return config
