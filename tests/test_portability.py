"""A .keras file saved on any backend loads on each other one, and back, and training continues there.

Each side runs in its own process on its backend: this interpreter where the
backend is installed here (the TensorFlow environment also holds JAX), else
the one ``WGAN_KERAS_<BACKEND>_PYTHON`` names (ci/test.sh gives the PyTorch
environment's, which has neither TensorFlow nor JAX).
"""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import subprocess_env

from wgan_keras.backends import SUPPORTED

JOB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "portable_job.py")


def interpreter(backend):
    """A Python that runs ``backend`` (see the module docstring), or ``None``."""
    if importlib.util.find_spec(backend) is not None:
        return sys.executable
    given = os.environ.get(f"WGAN_KERAS_{backend.upper()}_PYTHON")
    return given if given and os.path.exists(given) else None


def job(backend, *args):
    subprocess.run(
        [interpreter(backend), JOB, *map(str, args)], check=True, env=subprocess_env(KERAS_BACKEND=backend), timeout=300
    )


@pytest.mark.parametrize("first, second", [(a, b) for a in SUPPORTED for b in SUPPORTED if a < b])
def test_a_model_saved_on_one_backend_continues_on_the_other(tmp_path, first, second):
    """Saved on ``first``, continued on ``second``, and that file continued on ``first``; then the other way."""
    if interpreter(first) is None or interpreter(second) is None:
        pytest.skip(f"needs {first} and {second} (installed, or WGAN_KERAS_<BACKEND>_PYTHON)")
    check_continues(tmp_path / "forth", first, second)
    check_continues(tmp_path / "back", second, first)


def check_continues(tmp_path, first, second):
    tmp_path.mkdir()
    job(first, "train", tmp_path / "a.keras", tmp_path / "a.npy")
    job(second, "resume", tmp_path / "a.keras", tmp_path / "b.keras", tmp_path / "b.npy", tmp_path / "state.json")
    # The same samples from the same noise, to float32 rounding.
    np.testing.assert_allclose(np.load(tmp_path / "b.npy"), np.load(tmp_path / "a.npy"), rtol=1e-5, atol=1e-6)
    with open(tmp_path / "state.json") as handle:
        state = json.load(handle)
    assert state["backend"] == second
    # Counters and optimizer state came along: 3 iterations of 2 critic updates, moments non-zero.
    assert state["generator_iterations"] == 3 and state["critic_optimizer_iterations"] == 6
    assert state["critic_moments"] > 0 and state["after"] == 5
    # And the file written there loads back on the first backend.
    job(first, "resume", tmp_path / "b.keras", tmp_path / "c.keras", tmp_path / "c.npy", tmp_path / "state2.json")
    with open(tmp_path / "state2.json") as handle:
        assert json.load(handle)["generator_iterations"] == 5
