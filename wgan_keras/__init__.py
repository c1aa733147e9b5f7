"""wgan_keras: WGAN (weight clipping) and WGAN-GP (gradient penalty) in Keras 3.

Reproduces Arjovsky, Chintala & Bottou, "Wasserstein GAN" (ICML 2017) and
Gulrajani et al., "Improved Training of Wasserstein GANs" (NeurIPS 2017), with
the standard GAN as the baseline. Runs on Keras's TensorFlow backend (the
default), on JAX (``KERAS_BACKEND=jax``) and on PyTorch
(``KERAS_BACKEND=torch``); TensorFlow need not be installed.

Submodules are imported on first use (``wk.metrics`` imports
``wgan_keras.metrics``). Importing the package does not import Keras (the
command line reads ``--backend`` first); the models register with Keras as
soon as Keras is loaded, by whoever loads it, so ``keras.models.load_model``
finds ``GAN``, ``WGAN`` and ``WGANGP`` after ``import wgan_keras``.
"""

import importlib
import importlib.util
import os
import sys

# Keras's default backend is TensorFlow; where it is not installed, the one
# backend that is (JAX before PyTorch when both are).
if "KERAS_BACKEND" not in os.environ and importlib.util.find_spec("tensorflow") is None:
    for _name in ("jax", "torch"):
        if importlib.util.find_spec(_name) is not None:
            os.environ["KERAS_BACKEND"] = _name
            break
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from wgan_keras import backends as _backends  # noqa: E402  (imports no Keras)
from wgan_keras import registration as _registration  # noqa: E402  (imports no Keras)


def _backend_problem():
    """Why Keras cannot run wgan_keras here (one line), or ``None``."""
    if "keras" in sys.modules:  # Keras started already: its backend is fixed
        backend = sys.modules["keras"].backend.backend()
        source = f"Keras's backend {backend!r}"
    else:
        backend = os.environ["KERAS_BACKEND"]
        source = f"KERAS_BACKEND={backend}"
    problem = _backends.problem(backend, choose="KERAS_BACKEND={}")
    return problem and f"{source}: {problem}"


#: The parameter checks and the backend check itself work without Keras.
_WITHOUT_KERAS = ("backends", "params", "paths")

__version__ = "0.1.0"

_SUBMODULES = (
    "arrays",
    "autodiff",
    "backends",
    "backup",
    "callbacks",
    "clipping",
    "compiled",
    "critics",
    "data",
    "distribute",
    "divergences",
    "exercises",
    "losses",
    "measures",
    "metrics",
    "models",
    "nets",
    "optimizers",
    "params",
    "paths",
    "plots",
    "reproduction",
)
_FROM = {
    "GAN": "models",
    "WGAN": "models",
    "WGANGP": "models",
    "MODELS": "models",
    "OFFICIAL_WARMUP": "models",
    "TrainingDiverged": "models",
    "build": "models",
    "clip_variables": "clipping",
}

__all__ = sorted(_FROM) + sorted(_SUBMODULES)


def __getattr__(name):
    if name in _FROM or (name in _SUBMODULES and name not in _WITHOUT_KERAS):
        problem = _backend_problem()
        if problem:
            raise ImportError(problem)
    if name in _SUBMODULES:
        value = importlib.import_module(f"wgan_keras.{name}")
    elif name in _FROM:
        value = getattr(importlib.import_module(f"wgan_keras.{_FROM[name]}"), name)
    else:
        raise AttributeError(f"module 'wgan_keras' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


def _register_models():
    # On a backend that cannot run, the import succeeds (a notebook's
    # parameter check then names the problem) and the first use of Keras
    # says why not.
    if _backend_problem() is None:
        from wgan_keras import models  # noqa: F401  (registers GAN, WGAN, WGANGP with Keras)


_registration.after_keras_loads(_register_models)
