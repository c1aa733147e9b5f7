"""GAN, WGAN and WGAN-GP as keras.Model subclasses."""

from wgan_keras.models.base import AdversarialModel, TrainingDiverged
from wgan_keras.models.gan import GAN
from wgan_keras.models.wgan import OFFICIAL_WARMUP, WGAN
from wgan_keras.models.wgan_gp import WGANGP

__all__ = ["AdversarialModel", "GAN", "OFFICIAL_WARMUP", "TrainingDiverged", "WGAN", "WGANGP"]
