"""wgan_keras: WGAN (weight clipping) and WGAN-GP (gradient penalty) in Keras 3.

Reproduces Arjovsky, Chintala & Bottou, "Wasserstein GAN" (ICML 2017) and
Gulrajani et al., "Improved Training of Wasserstein GANs" (NeurIPS 2017), with
the standard GAN as the baseline. Requires the TensorFlow backend.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

if keras.backend.backend() != "tensorflow":
    raise ImportError(
        "wgan_keras needs Keras's TensorFlow backend (KERAS_BACKEND=tensorflow); "
        f"the active backend is {keras.backend.backend()!r}."
    )

from wgan_keras import backup, callbacks, data, distribute, divergences, losses, metrics, nets, optimizers, params, paths, plots, reproduction  # noqa: E402
from wgan_keras import critics, diagnostics  # noqa: E402  (they use the models)
from wgan_keras.clipping import clip_variables  # noqa: E402
from wgan_keras.models import GAN, OFFICIAL_WARMUP, WGAN, WGANGP, TrainingDiverged  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "GAN",
    "OFFICIAL_WARMUP",
    "TrainingDiverged",
    "WGAN",
    "WGANGP",
    "backup",
    "callbacks",
    "clip_variables",
    "critics",
    "data",
    "diagnostics",
    "distribute",
    "divergences",
    "losses",
    "metrics",
    "nets",
    "optimizers",
    "params",
    "paths",
    "plots",
    "reproduction",
]
