"""A .keras file saved on TensorFlow loads on JAX, and back, and training continues there."""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import subprocess_env

JOB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "portable_job.py")
both_backends = pytest.mark.skipif(
    not all(importlib.util.find_spec(m) for m in ("tensorflow", "jax")), reason="needs TensorFlow and JAX installed"
)


def job(backend, *args):
    subprocess.run(
        [sys.executable, JOB, *map(str, args)], check=True, env=subprocess_env(KERAS_BACKEND=backend), timeout=300
    )


@both_backends
@pytest.mark.parametrize("first, second", [("tensorflow", "jax"), ("jax", "tensorflow")])
def test_a_model_saved_on_one_backend_continues_on_the_other(tmp_path, first, second):
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
