"""Test settings: quiet TensorFlow, headless matplotlib, the package importable, one backend per run.

The suite runs once per Keras backend (``KERAS_BACKEND=tensorflow``, the
default; ``KERAS_BACKEND=jax`` and ``KERAS_BACKEND=torch``, each in an
environment without TensorFlow).
A test that only applies to one backend says so in its name and carries
the matching mark.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "agg")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import importlib.util  # noqa: E402

import keras  # noqa: E402
import pytest  # noqa: E402

BACKEND = keras.backend.backend()
HAS_TENSORFLOW = importlib.util.find_spec("tensorflow") is not None

tensorflow_only = pytest.mark.skipif(BACKEND != "tensorflow", reason="a TensorFlow-backend test")
jax_only = pytest.mark.skipif(BACKEND != "jax", reason="a JAX-backend test")
torch_only = pytest.mark.skipif(BACKEND != "torch", reason="a PyTorch-backend test")
needs_tensorflow = pytest.mark.skipif(not HAS_TENSORFLOW, reason="needs TensorFlow installed")


def pytest_collection_modifyitems(items):
    """A backend-specific test must say so in its name."""
    for item in items:
        for mark, word, reason in (
            ("tensorflow_only", "tensorflow", "a TensorFlow-backend test"),
            ("jax_only", "jax", "a JAX-backend test"),
            ("torch_only", "torch", "a PyTorch-backend test"),
        ):
            if any(m.kwargs.get("reason") == reason for m in item.iter_markers("skipif")) and word not in item.name:
                raise pytest.UsageError(f"{item.nodeid} is {mark} but its name does not say {word!r}.")


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    yield


def subprocess_env(**extra):
    """The environment of a test's child process: this backend, quiet, the package importable."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0", KERAS_BACKEND=BACKEND)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))
    env.update(extra)
    return env


def toy_command(epochs, steps_per_epoch, hidden, depth, batch_size):
    """``python -m wgan_keras.train`` (this interpreter) on 8 gaussians with a small MLP: the tests' command line."""
    options = {
        "--data": "8gaussians",
        "--epochs": epochs,
        "--steps-per-epoch": steps_per_epoch,
        "--hidden": hidden,
        "--depth": depth,
        "--batch-size": batch_size,
    }
    return [sys.executable, "-m", "wgan_keras.train"] + [str(word) for option in options.items() for word in option]


def backed_up_epoch(out):
    """The epoch of the command line's latest backup in ``out`` (0 while there is none)."""
    try:
        with open(os.path.join(out, "backup", "backup.json")) as handle:
            return json.load(handle)["epoch"]
    except (OSError, ValueError, KeyError):
        return 0
