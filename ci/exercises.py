"""Run every exercise notebook with its reference solutions; fail if any run or any check fails.

    KERAS_BACKEND=tensorflow python ci/exercises.py      # all five notebooks
    KERAS_BACKEND=jax python ci/exercises.py 03_wgan_gp_exercises.ipynb
    python ci/exercises.py --unsolved                     # as a student gets them: must run, checks fail

Each notebook in notebooks/exercises/ is executed by papermill into a
temporary folder with ``-p solutions True -p backend $KERAS_BACKEND`` (the
backend this environment runs; default tensorflow), as many at once as there
are cores. The notebook's last cell,
``wk.exercises.summary(results, require_all=solutions)``, raises when a check
fails with the reference solutions, so papermill exits non-zero. With
``--unsolved`` the notebooks run at their defaults (``solutions=False``): they
must run top to bottom although every check fails. The kernels get the
environment of ``ci/notebooks.py`` (``IPYTHONDIR=ci/ipython``, quiet
TensorFlow, the repository on ``PYTHONPATH``).
"""

import glob
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from notebooks import environment, papermill_command, side_by_side  # noqa: E402

EXERCISES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "notebooks", "exercises")


def run(names, solutions=True):
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    paths = sorted(glob.glob(os.path.join(EXERCISES, "*.ipynb")))
    known = [os.path.basename(p) for p in paths]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown exercise notebooks {unknown}; known: {known}")
    chosen = [p for p in paths if not names or os.path.basename(p) in names]
    with tempfile.TemporaryDirectory() as folder:
        env = environment()
        env["KERAS_BACKEND"] = backend
        env["WGAN_KERAS_OUTPUTS"] = os.path.join(folder, "outputs")
        jobs = {}
        for path in chosen:
            name = os.path.basename(path)
            command = papermill_command(path, os.path.join(folder, name), {"backend": backend})
            if solutions:
                command += ["-p", "solutions", "True"]
            jobs[f"{name} [{backend}, solutions={solutions}]"] = [command]
        failed = side_by_side(jobs, env)
    if failed:
        raise SystemExit(f"failed: {failed}")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    unsolved = "--unsolved" in arguments
    run([a for a in arguments if a != "--unsolved"], solutions=not unsolved)
