"""An unusable Keras backend is named in one line, with what is installed and how to install it (issue 19 item 12)."""

import importlib.util
import os
import subprocess
import sys

import pytest
from conftest import HAS_TENSORFLOW, ROOT, subprocess_env

import wgan_keras as wk
from wgan_keras import backends


def notebook_parameters(backend):
    namespace = {"backend": backend}
    return wk.params.NotebookParameters(namespace, 'backend: str = "tensorflow"  # Keras backend')


def test_a_notebook_asking_for_keras_numpy_backend_is_told_it_is_not_supported():
    with pytest.raises(ValueError, match=r"backend='numpy': wgan_keras does not support the numpy backend yet") as info:
        notebook_parameters("numpy").backend()
    message = str(info.value)
    assert all(name in message for name in ("tensorflow", "jax", "torch")) and "\n" not in message


def test_a_notebook_asking_for_a_backend_that_is_not_installed_is_told_how_to_install_it(monkeypatch):
    missing = "tensorflow"
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        backends.importlib.util, "find_spec", lambda name, *a: None if name == missing else real_find_spec(name, *a)
    )
    with pytest.raises(ValueError) as info:
        notebook_parameters(missing).backend()
    message = str(info.value)
    assert message.startswith("backend='tensorflow': ") and "not installed" in message
    others = [name for name in backends.installed() if name != missing]
    assert others, "this environment has one of the other backends"
    assert "pip install tensorflow" in message and f"-p backend {others[0]}" in message


@pytest.mark.skipif(HAS_TENSORFLOW, reason="needs an environment without TensorFlow")
def test_importing_the_package_for_a_tensorflow_notebook_without_tensorflow_then_checking_names_it():
    """The notebook sets KERAS_BACKEND from its parameter, imports wgan_keras, then checks the parameter."""
    code = (
        "import os; os.environ['KERAS_BACKEND'] = 'tensorflow'\n"
        "import wgan_keras as wk\n"
        "p = wk.params.NotebookParameters({'backend': 'tensorflow'}, 'backend: str = \"tensorflow\"')\n"
        "try:\n    p.backend()\nexcept ValueError as error:\n    print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=subprocess_env(), cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "not installed" in result.stdout and "pip install tensorflow" in result.stdout


@pytest.mark.parametrize("value", ["numpy", "foo"])
def test_importing_the_package_on_an_unsupported_backend_fails_when_keras_is_needed_naming_it(value):
    code = "import wgan_keras as wk\nprint(wk.params.require_int('x', 3))\nwk.WGANGP\n"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=subprocess_env(KERAS_BACKEND=value),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.stdout.strip() == "3"  # the parameter checks need no Keras
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 1 and last.startswith("ImportError: ") and f"KERAS_BACKEND={value}" in last
    assert os.environ.get("KERAS_BACKEND") != value


def test_without_keras_backend_set_the_package_picks_tensorflow_else_the_installed_backend():
    """requirements-jax.txt and requirements-torch.txt environments need no KERAS_BACKEND."""
    env = subprocess_env()
    del env["KERAS_BACKEND"]
    code = "import wgan_keras, keras\nprint(keras.backend.backend(), type(wgan_keras.WGANGP).__name__)\n"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    expected = next(name for name in ("tensorflow", "jax", "torch") if importlib.util.find_spec(name))
    assert result.stdout.split() == [expected, "type"]
