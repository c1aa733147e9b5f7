"""Which Keras backends wgan_keras runs on, and a one-line reason when the chosen one cannot run.

Nothing here imports Keras: the command line and the notebooks check the
backend before Keras starts, so a backend that is unsupported or not
installed is named in one line (with what is installed and how to install
the missing one) instead of failing deep inside an import.
"""

import importlib.util

#: The backends the trainers implement (``wgan_keras.models.trainers``).
SUPPORTED = ("tensorflow", "jax", "torch")
#: Keras backends wgan_keras has no trainer for yet.
UNSUPPORTED = ("numpy", "openvino")
_INSTALL = {"tensorflow": "pip install tensorflow", "jax": "pip install jax", "torch": "pip install torch"}


def installed():
    """The supported backends installed in this environment (found without importing them)."""
    return tuple(name for name in SUPPORTED if importlib.util.find_spec(name) is not None)


def problem(backend, choose="--backend {}"):
    """``None`` when ``backend`` can run here; else one line that says why not and what to do.

    Args:
        backend: the requested backend name.
        choose: how the caller picks a backend, ``{}`` standing for its name
            (``"--backend {}"``, ``"-p backend {}"``, ``"KERAS_BACKEND={}"``).
    """
    if backend in SUPPORTED and importlib.util.find_spec(backend) is not None:
        return None
    present = installed()
    have = f"installed here: {', '.join(present)}" if present else "none is installed here"
    usable = " or ".join(choose.format(name) for name in present)
    install = ", ".join(_INSTALL[name] for name in SUPPORTED)
    if backend in SUPPORTED:
        other = f", or use {usable}" if usable else ""
        return (
            f"the {backend} backend is not installed in this environment ({have}): install it ({_INSTALL[backend]})"
            f"{other}."
        )
    if backend in UNSUPPORTED:
        start = f"wgan_keras does not support the {backend} backend yet"
    else:
        start = f"{backend!r} is not a Keras backend wgan_keras runs on"
    remedy = f"use {usable}" if usable else f"install one ({install})"
    return f"{start}; it runs on {', '.join(SUPPORTED[:-1])} or {SUPPORTED[-1]} ({have}): {remedy}."
