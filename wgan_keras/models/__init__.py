"""GAN, WGAN and WGAN-GP as keras.Model subclasses, and the one way to build them by name."""

from wgan_keras import params
from wgan_keras.models.base import AdversarialModel
from wgan_keras.models.divergence_stop import TrainingDiverged
from wgan_keras.models.gan import GAN
from wgan_keras.models.wgan import OFFICIAL_WARMUP, WGAN
from wgan_keras.models.wgan_gp import WGANGP

#: The models by the names the command line, the notebooks and
#: ``wgan_keras.critics`` use.
MODELS = {"gan": GAN, "wgan": WGAN, "wgan-gp": WGANGP}


def build(name, generator, critic, **kwargs):
    """The model called ``name`` (``"gan"``, ``"wgan"`` or ``"wgan-gp"``) on these networks.

    ``kwargs`` are the model's own arguments (``n_critic``, ``clip_value``,
    ``gp_weight``, ``seed``...; the GAN's ``n_critic`` is ``n_discriminator``).
    Compile it with ``model.compile(learning_rate=...)`` to train with the
    paper's optimizers at another rate.
    """
    model_class = MODELS[params.require_choice("model", name, tuple(MODELS))]
    return model_class(generator, critic, **kwargs)


__all__ = ["AdversarialModel", "GAN", "MODELS", "OFFICIAL_WARMUP", "TrainingDiverged", "WGAN", "WGANGP", "build"]
