"""Run every exercise notebook with its reference solutions; fail if any run or any check fails.

    KERAS_BACKEND=tensorflow python ci/exercises.py      # all five notebooks
    KERAS_BACKEND=jax python ci/exercises.py 03_wgan_gp_exercises.ipynb
    python ci/exercises.py --unsolved                     # as a student gets them: must run, checks fail

Each notebook in notebooks/exercises/ is executed by papermill into a
temporary folder with ``-p solutions True -p backend $KERAS_BACKEND`` (the
backend this environment runs; default tensorflow). The notebook's last cell,
``wk.exercises.summary(results, require_all=solutions)``, raises when a check
fails with the reference solutions, so papermill exits non-zero. With
``--unsolved`` the notebooks run at their defaults (``solutions=False``): they
must run top to bottom although every check fails. The kernels get the
environment of ``ci/notebooks.py`` (``IPYTHONDIR=ci/ipython``, quiet
TensorFlow, the repository on ``PYTHONPATH``).
"""

import glob
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from notebooks import ROOT, environment  # noqa: E402

EXERCISES = os.path.join(ROOT, "notebooks", "exercises")


def run(names, solutions=True):
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    paths = sorted(glob.glob(os.path.join(EXERCISES, "*.ipynb")))
    known = [os.path.basename(p) for p in paths]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown exercise notebooks {unknown}; known: {known}")
    chosen = [p for p in paths if not names or os.path.basename(p) in names]
    failed, total = [], time.time()
    with tempfile.TemporaryDirectory() as folder:
        env = environment()
        env["KERAS_BACKEND"] = backend
        env["WGAN_KERAS_OUTPUTS"] = os.path.join(folder, "outputs")
        for path in chosen:
            name = os.path.basename(path)
            command = [
                sys.executable,
                "-m",
                "papermill",
                path,
                os.path.join(folder, name),
                "--cwd",
                ROOT,
                "-k",
                "python3",
                "--no-progress-bar",
                "-p",
                "backend",
                backend,
            ]
            if solutions:
                command += ["-p", "solutions", "True"]
            started = time.time()
            code = subprocess.run(command, env=env).returncode
            verdict = "ok" if code == 0 else f"FAILED (exit {code})"
            print(f"{name} [{backend}, solutions={solutions}]: {verdict}, {time.time() - started:.0f} s", flush=True)
            if code:
                failed.append(name)
    print(
        f"{len(chosen) - len(failed)} of {len(chosen)} exercise notebooks ran on {backend} "
        f"in {time.time() - total:.0f} s."
    )
    if failed:
        raise SystemExit(f"failed: {failed}")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    unsolved = "--unsolved" in arguments
    run([a for a in arguments if a != "--unsolved"], solutions=not unsolved)
