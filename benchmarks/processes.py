"""Fresh worker processes (``python -m benchmarks --worker``): a process's speed moves with what it ran before."""

import json
import os
import subprocess
import sys
import tempfile


def installed(backend):
    module = backend  # tensorflow, jax or torch: the module is the backend's name
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode == 0


def run_worker(backend, argv, timeout=None):
    """This benchmark in a fresh process on ``backend``; returns its result.

    The worker is ``python -m benchmarks`` run from the repository root (the
    benchmark is a repository tool, not part of the installed package).
    """
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "result.json")
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
        command = [sys.executable, "-m", "benchmarks", "--worker", path, *argv]
        subprocess.run(command, env=env, check=True, timeout=timeout)
        with open(path) as handle:
            return json.load(handle)
