"""Run the notebooks with papermill and check them with nbval.

    python ci/notebooks.py smoke        # CI: small parameters, then nbval
    python ci/notebooks.py regenerate   # re-run at the defaults, in place
    python ci/notebooks.py regenerate 03_wgan_gp.ipynb
    python ci/notebooks.py parameters   # Markdown tables of every notebook's parameters

`smoke` executes each notebook with the parameters in ci/notebooks.json into
a temporary folder, then re-executes the executed copies with nbval
(`--nbval-lax`: only cells marked `# NBVAL_CHECK_OUTPUT` are compared, so
the re-run proves the same seed gives the same numbers). `regenerate` runs
each notebook at its default parameters and writes it back with its
outputs, which is how the committed outputs are produced.
"""

import ast
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = os.path.join(ROOT, "notebooks")
SETTINGS = os.path.join(ROOT, "ci", "notebooks.json")


def environment():
    env = dict(os.environ)
    env.update(
        IPYTHONDIR=os.path.join(ROOT, "ci", "ipython"),
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONHASHSEED="0",
        MPLBACKEND="module://matplotlib_inline.backend_inline",
        PYTHONPATH=os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")])),
        WGAN_KERAS_ROOT=ROOT,
    )
    return env


def papermill(source, target, parameters):
    command = [sys.executable, "-m", "papermill", source, target, "--cwd", ROOT, "-k", "python3", "--no-progress-bar"]
    for key, value in parameters.items():
        command += ["-p", key, str(value)]
    started = time.time()
    subprocess.run(command, check=True, env=environment())
    print(f"papermill {os.path.basename(source)} {parameters or '(defaults)'}: {time.time() - started:.0f} s", flush=True)


def names(selected):
    with open(SETTINGS) as handle:
        settings = json.load(handle)
    chosen = selected or sorted(k for k in settings if k.endswith(".ipynb"))
    unknown = [n for n in chosen if n not in settings]
    if unknown:
        raise SystemExit(f"unknown notebooks {unknown}; known: {sorted(k for k in settings if k.endswith('.ipynb'))}")
    return chosen, settings


def smoke(selected):
    chosen, settings = names(selected)
    with tempfile.TemporaryDirectory() as folder:
        # Smoke runs write their figures here, never over the committed ones.
        os.environ["WGAN_KERAS_OUTPUTS"] = os.path.join(folder, "outputs")
        executed = []
        for name in chosen:
            target = os.path.join(folder, name)
            papermill(os.path.join(NOTEBOOKS, name), target, settings[name]["smoke"])
            executed.append(target)
        command = [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
            "--nbval-sanitize-with", os.path.join(ROOT, "ci", "nbval_sanitize.cfg"),
            "--nbval-current-env", "--rootdir", folder, *executed,
        ]
        subprocess.run(command, check=True, env=environment(), cwd=ROOT)


def regenerate(selected):
    chosen, _ = names(selected)
    for name in chosen:
        path = os.path.join(NOTEBOOKS, name)
        papermill(path, path, {})


def parameter_rows(path):
    """``(name, type, default, comment)`` of each line of the cell tagged ``parameters``."""
    with open(path) as handle:
        cells = json.load(handle)["cells"]
    (cell,) = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    rows = []
    for line in "".join(cell["source"]).splitlines():
        code, _, comment = line.partition("#")
        if not code.strip():
            continue
        node = ast.parse(code).body[0]
        rows.append((node.target.id, ast.unparse(node.annotation), ast.unparse(node.value), comment.strip()))
    return rows


def parameters(selected):
    chosen, _ = names(selected)
    for name in chosen:
        print(f"#### `{name}`\n\n| parameter | default | meaning |\n|---|---|---|")
        for parameter, kind, default, comment in parameter_rows(os.path.join(NOTEBOOKS, name)):
            print(f"| `{parameter}` ({kind}) | `{default}` | {comment.replace('|', '/')} |")
        print()


if __name__ == "__main__":
    commands = {"smoke": smoke, "regenerate": regenerate, "parameters": parameters}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        raise SystemExit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])
