#!/usr/bin/env bash
# The project's test command (the README's), run inside the environment of
# requirements.txt: the linter, then on each Keras backend the unit tests and
# every notebook executed with small parameters by papermill and re-checked by
# nbval, and the exercise notebooks with their solutions. The JAX run uses its
# own environment without TensorFlow (requirements-jax.txt), made here in
# .venv-jax when it does not exist (or given as WGAN_KERAS_JAX_PYTHON); the
# PyTorch run its own without TensorFlow or JAX (requirements-torch.txt on
# PyTorch's CPU build), made in .venv-torch (or WGAN_KERAS_TORCH_PYTHON). Last,
# the release artefact: the built wheel installed in fresh environments with
# the lowest supported versions and with Google Colab's (ci/release.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=3 MPLBACKEND=agg PYTHONHASHSEED=0
started=$(date +%s)
stamp() { echo "== $1 ($(( $(date +%s) - started )) s since the start)"; }

python -m ruff check .
python -m ruff format --check .

jax_python=${WGAN_KERAS_JAX_PYTHON:-.venv-jax/bin/python}
if [ ! -x "$jax_python" ]; then
    python3 -m venv .venv-jax
    .venv-jax/bin/python -m pip install -q --upgrade pip
    .venv-jax/bin/python -m pip install -q -r requirements-jax.txt
    jax_python=.venv-jax/bin/python
fi
if "$jax_python" -c "import tensorflow" 2>/dev/null; then
    echo "error: $jax_python has TensorFlow installed; the JAX run must prove the library works without it." >&2
    exit 1
fi

torch_python=${WGAN_KERAS_TORCH_PYTHON:-.venv-torch/bin/python}
if [ ! -x "$torch_python" ]; then
    python3 -m venv .venv-torch
    .venv-torch/bin/python -m pip install -q --upgrade pip
    # PyTorch's CPU build first (PyPI's Linux wheel is a CUDA build of several GB; the
    # CI machines hold the CPU wheel of the lowest release the package claims, torch>=2.13).
    .venv-torch/bin/python -m pip install -q torch==2.13.0
    .venv-torch/bin/python -m pip install -q -r requirements-torch.txt
    torch_python=.venv-torch/bin/python
fi
for module in tensorflow jax; do
    if "$torch_python" -c "import $module" 2>/dev/null; then
        echo "error: $torch_python has $module installed; the PyTorch run must prove the library works without it." >&2
        exit 1
    fi
done

# The portability test saves on one backend and loads on another, each in its own environment:
# the TensorFlow run (which has JAX too) reaches PyTorch through the torch environment's Python.
# Only there: the release environments hold older Keras releases, which cannot read a file
# written by a newer one whatever the backend.
torch_for_portability="$(cd "$(dirname "$torch_python")" && pwd)/$(basename "$torch_python")"

stamp "tensorflow backend: unit tests"
KERAS_BACKEND=tensorflow WGAN_KERAS_TORCH_PYTHON="$torch_for_portability" python -m pytest tests -q -p no:cacheprovider -n 2
stamp "tensorflow backend: notebooks"
KERAS_BACKEND=tensorflow python ci/notebooks.py smoke
KERAS_BACKEND=tensorflow python ci/exercises.py
stamp "tensorflow backend: the book (build with warnings as errors, browser check)"
KERAS_BACKEND=tensorflow python ci/docs.py check
stamp "jax backend, no TensorFlow installed: unit tests"
KERAS_BACKEND=jax "$jax_python" -m pytest tests -q -p no:cacheprovider -n 2
stamp "jax backend: notebooks"
KERAS_BACKEND=jax "$jax_python" ci/notebooks.py smoke
KERAS_BACKEND=jax "$jax_python" ci/exercises.py
stamp "torch backend, no TensorFlow or JAX installed: unit tests"
KERAS_BACKEND=torch "$torch_python" -m pytest tests -q -p no:cacheprovider -n 2
stamp "torch backend: notebooks"
KERAS_BACKEND=torch "$torch_python" ci/notebooks.py smoke
KERAS_BACKEND=torch "$torch_python" ci/exercises.py
stamp "release artefact: the wheel at both ends of the version ranges"
env -u WGAN_KERAS_TORCH_PYTHON bash ci/release.sh
stamp "all passed"
