"""Run the notebooks with papermill and check them with nbval, on either backend.

    python ci/notebooks.py smoke                  # CI: small parameters, then nbval (backend: $KERAS_BACKEND)
    python ci/notebooks.py regenerate             # re-run at the defaults, in place (the committed outputs)
    python ci/notebooks.py regenerate 03_wgan_gp.ipynb
    python ci/notebooks.py regenerate 03_wgan_gp.ipynb --profile paper   # outputs/paper_scale/<notebook>/
    python ci/notebooks.py check --backend jax    # defaults on another backend: outputs/reproduction/<backend>.*
    python ci/notebooks.py seeds                  # defaults, seeds 0-4: outputs/reproduction/seeds.*
    python ci/notebooks.py parameters             # Markdown tables of every notebook's parameters
    python ci/notebooks.py headers                # rewrite every notebook's Colab badge and install line

`smoke` executes each notebook with the parameters in ci/notebooks.json into
a temporary folder, then re-executes the executed copies with nbval
(`--nbval-lax`: only cells tagged `nbval-check-output` are compared, so
the re-run proves the same seed gives the same numbers), as many notebooks
at once as there are cores. `regenerate` runs
each notebook at its default parameters and writes it back with its
outputs; its figures go to outputs/ (ad-hoc runs write to the ignored
outputs/local/). `check` and `seeds` run the notebooks at their defaults in
a temporary folder and collect each notebook's reproduction claims
(claims.json); `seeds` takes about an hour on the project's 2-core machine.
`headers` writes each notebook's (exercises too) Colab badge and the
bootstrap that opens its setup cell (the cell after the parameters cell: on
Colab only, install the package and nothing else; then the backend) from the
one repository address, pyproject.toml's `[project.urls] Repository`.
"""

import argparse
import ast
import concurrent.futures
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = os.path.join(ROOT, "notebooks")
SETTINGS = os.path.join(ROOT, "ci", "notebooks.json")
REPRODUCTION = os.path.join(ROOT, "outputs", "reproduction")
SEEDS = (0, 1, 2, 3, 4)
# 05's mode table already spans n_seeds consecutive seeds from `seed`; the five-seed record runs it with one
# seed per run, so that each of its claims is judged on each seed alone (and it costs a fifth).
SEED_RECORD_OVERRIDES = {"05_stability_and_modes.ipynb": {"n_seeds": 1}}


def environment(outputs=None, backend=None):
    env = dict(os.environ)
    env.update(
        IPYTHONDIR=os.path.join(ROOT, "ci", "ipython"),
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONHASHSEED="0",
        MPLBACKEND="module://matplotlib_inline.backend_inline",
    )
    if outputs:
        env["WGAN_KERAS_OUTPUTS"] = outputs
    if backend:
        env["KERAS_BACKEND"] = backend
    return env


def backend_of(args):
    return getattr(args, "backend", None) or os.environ.get("KERAS_BACKEND", "tensorflow")


def papermill_command(source, target, parameters):
    command = [sys.executable, "-m", "papermill", source, target, "--cwd", ROOT, "-k", "python3", "--no-progress-bar"]
    for key, value in parameters.items():
        command += ["-p", key, str(value)]
    return command


def papermill(source, target, parameters, outputs=None, backend=None):
    started = time.time()
    subprocess.run(papermill_command(source, target, parameters), check=True, env=environment(outputs, backend))
    seconds = time.time() - started
    print(f"papermill {os.path.basename(source)} {parameters or '(defaults)'}: {seconds:.0f} s", flush=True)
    return seconds


def names(selected):
    with open(SETTINGS) as handle:
        settings = json.load(handle)
    known = sorted(k for k in settings if k.endswith(".ipynb"))
    chosen = selected or known
    unknown = [n for n in chosen if n not in settings]
    if unknown:
        raise SystemExit(f"unknown notebooks {unknown}; known: {known}")
    return chosen, settings


def side_by_side(jobs, env, summary=False):
    """Run ``{label: [command, ...]}``: each job's commands in order, as many jobs at once as there are cores.

    A notebook's kernel keeps about one core busy, so CI's two cores run two
    notebooks at once. Each job's output is kept and printed if it fails;
    with ``summary``, the last line of a job that passed is printed too
    (pytest's count). Returns the labels of the jobs that failed.
    """

    def run(commands):
        started, log = time.time(), []
        for command in commands:
            done = subprocess.run(
                command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            log.append(done.stdout)
            if done.returncode:
                return done.returncode, "".join(log), time.time() - started
        return 0, "".join(log), time.time() - started

    failed, total = [], time.time()
    workers = max(1, min(len(jobs), os.cpu_count() or 1))
    # PyTorch's OpenMP threads spin while they wait: two kernels with a thread per core each ran an exercise
    # notebook 5-7 times slower than one kernel alone. So each kernel gets its share of the cores.
    env = {"OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // workers))} | env
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = {pool.submit(run, commands): label for label, commands in jobs.items()}
        for future in concurrent.futures.as_completed(futures):
            label = futures[future]
            code, log, seconds = future.result()
            verdict = "ok" if code == 0 else f"FAILED (exit {code})"
            last = (log.strip().splitlines() or [""])[-1] if summary and code == 0 else ""
            print(f"{label}: {verdict}, {seconds:.0f} s{'; ' + last if last else ''}", flush=True)
            if code:
                print(log, flush=True)
                failed.append(label)
    print(f"{len(jobs) - len(failed)} of {len(jobs)} passed in {time.time() - total:.0f} s.", flush=True)
    return failed


def smoke(args):
    chosen, settings = names(args.notebooks)
    backend = backend_of(args)
    with tempfile.TemporaryDirectory() as folder:
        # Smoke runs write their figures here, never over the committed ones.
        outputs = os.path.join(folder, "outputs")
        jobs = {}
        for name in chosen:
            target = os.path.join(folder, name)
            parameters = dict(settings[name]["smoke"], backend=backend)
            nbval = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax"]
            nbval += ["--nbval-sanitize-with", os.path.join(ROOT, "ci", "nbval_sanitize.cfg"), "--nbval-current-env"]
            nbval += ["--rootdir", folder, target]
            label = f"{name} [{backend}, smoke parameters]: papermill, then nbval"
            jobs[label] = [papermill_command(os.path.join(NOTEBOOKS, name), target, parameters), nbval]
        failed = side_by_side(jobs, environment(outputs, backend), summary=True)
    if failed:
        raise SystemExit(f"failed: {failed}")


def regenerate(args):
    chosen, settings = names(args.notebooks)
    for name in chosen:
        path = os.path.join(NOTEBOOKS, name)
        if args.profile == "paper":
            # The paper-scale run: its executed copy and figures under outputs/paper_scale/<notebook>/.
            stem = os.path.splitext(name)[0]
            folder = os.path.join(ROOT, "outputs", "paper_scale", stem)
            os.makedirs(folder, exist_ok=True)
            started = time.time()
            backend = backend_of(args)
            seconds = papermill(
                path, os.path.join(folder, name), {"profile": "paper", "backend": backend}, folder, backend
            )
            with open(os.path.join(folder, "run.json"), "w") as handle:
                json.dump(
                    {
                        "notebook": name,
                        "profile": "paper",
                        "seconds": round(seconds),
                        "started": time.ctime(started),
                        "machine": machine(),
                        "backend": backend,
                    },
                    handle,
                    indent=2,
                )
        else:
            papermill(path, path, {}, os.path.join(ROOT, "outputs"))


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores"


def run_defaults(chosen, backend, seed=None):
    """Run the notebooks at their defaults (and ``seed``); returns ``{name: (claims, seconds)}``."""
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        outputs = os.path.join(folder, "outputs")
        for name in chosen:
            parameters = {"backend": backend} | ({} if seed is None else {"seed": seed}) | {"check_claims": False}
            if seed is not None:
                parameters |= SEED_RECORD_OVERRIDES.get(name, {})
            seconds = papermill(os.path.join(NOTEBOOKS, name), os.path.join(folder, name), parameters, outputs, backend)
            with open(os.path.join(outputs, os.path.splitext(name)[0], "claims.json")) as handle:
                results[name] = (json.load(handle)["claims"], seconds)
    return results


def check(args):
    """Every notebook at its defaults on ``--backend``: which claims hold there."""
    chosen, _ = names(args.notebooks)
    backend = backend_of(args)
    results = run_defaults(chosen, backend)
    report = {"backend": backend, "machine": machine(), "notebooks": {}}
    lines = [f"# The notebooks at their defaults on the {backend} backend", "", f"Machine: {machine()}.", ""]
    for name, (claims, seconds) in results.items():
        held = sum(c["holds"] for c in claims)
        report["notebooks"][name] = {"seconds": round(seconds), "claims": claims}
        lines += [
            f"## {name}: {held}/{len(claims)} claims hold, {seconds:.0f} s",
            "",
            "| claim | measured | holds |",
            "|---|---|---|",
        ]
        lines += [f"| {c['claim']} | {c['measured']} | {'yes' if c['holds'] else 'NO'} |" for c in claims] + [""]
    os.makedirs(REPRODUCTION, exist_ok=True)
    with open(os.path.join(REPRODUCTION, f"{backend}.json"), "w") as handle:
        json.dump(report, handle, indent=2)
    with open(os.path.join(REPRODUCTION, f"{backend}.md"), "w") as handle:
        handle.write("\n".join(lines))


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


def defaults(name):
    """The notebook's default parameters, as written in its parameters cell."""
    return {row[0]: row[2] for row in parameter_rows(os.path.join(NOTEBOOKS, name))}


def seeds(args):
    """Every notebook at its defaults for seeds 0-4; each claim: seeds that hold, median and range."""
    chosen, _ = names(args.notebooks)
    backend = backend_of(args)
    started = time.time()
    runs = {seed: run_defaults(chosen, backend, seed) for seed in SEEDS}
    report = {"backend": backend, "machine": machine(), "seeds": list(SEEDS), "notebooks": {}}
    for name in chosen:
        claims = []
        for index, first in enumerate(runs[SEEDS[0]][name][0]):
            rows = [runs[seed][name][0][index] for seed in SEEDS]
            if any(row["claim"] != first["claim"] for row in rows):
                raise SystemExit(f"{name}: the claims differ between seeds")
            values = {
                key: {"median": statistics.median(vals), "min": min(vals), "max": max(vals)}
                for key in first["values"]
                for vals in [[row["values"][key] for row in rows]]
            }
            claims.append(
                {
                    "claim": first["claim"],
                    "paper": first["paper"],
                    "held": [row["holds"] for row in rows],
                    "values": values,
                }
            )
        report["notebooks"][os.path.splitext(name)[0]] = {
            "notebook": name,
            "parameters": defaults(name),
            "overrides": SEED_RECORD_OVERRIDES.get(name, {}),
            "backend": backend,
            "seconds": [round(runs[seed][name][1]) for seed in SEEDS],
            "claims": claims,
        }
    report["seconds"] = round(time.time() - started)
    report = _merged_with_earlier_record(report)
    os.makedirs(REPRODUCTION, exist_ok=True)
    with open(os.path.join(REPRODUCTION, "seeds.json"), "w") as handle:
        json.dump(report, handle, indent=2)
    with open(os.path.join(REPRODUCTION, "seeds.md"), "w") as handle:
        handle.write(seeds_markdown(report))


def _merged_with_earlier_record(report):
    """Keep the earlier seeds.json's other notebooks (same backend and seeds) when only some were rerun."""
    path = os.path.join(REPRODUCTION, "seeds.json")
    if not os.path.exists(path):
        return report
    with open(path) as handle:
        earlier = json.load(handle)
    if earlier["seeds"] != report["seeds"]:
        return report
    for record in earlier["notebooks"].values():
        record.setdefault("backend", earlier["backend"])
        record.setdefault("overrides", {})
    notebooks = earlier["notebooks"] | report["notebooks"]
    backends = sorted({record["backend"] for record in notebooks.values()})
    merged = report | {"notebooks": dict(sorted(notebooks.items())), "backend": " and ".join(backends)}
    merged["seconds"] = sum(sum(record["seconds"]) for record in notebooks.values())
    return merged


def _value_summary(values):
    parts = []
    for key, v in values.items():
        label = f"{key} " if key else ""
        parts.append(f"{label}{v['median']:.4g} [{v['min']:.4g}, {v['max']:.4g}]")
    return "; ".join(parts) or "-"


def markdown_cell(text):
    """``text`` safe inside a markdown table cell (claims such as "|theta|" hold pipes)."""
    return text.replace("|", "\\|")


def seeds_markdown(report):
    lines = [
        "# Reproduction claims over five seeds",
        "",
        f"Every notebook at its default parameters with seeds {', '.join(map(str, report['seeds']))} "
        f"({report['machine']}; {report['seconds'] / 60:.0f} minutes of notebook runs in all): for each "
        "claim, the seeds in which it holds and the measured value's median [min, max]. A claim that holds in fewer "
        "than 4 of 5 seeds is labelled seed-dependent in its notebook's check. Produced by "
        "`python ci/notebooks.py seeds`.",
        "",
    ]
    for record in report["notebooks"].values():
        overrides = ", ".join(f"{k}={v}" for k, v in record["overrides"].items())
        lines += [
            f"## {record['notebook']}",
            "",
            f"{record['backend']} backend; {' s, '.join(map(str, record['seconds']))} s per seed"
            + (f"; run with {overrides} (see `SEED_RECORD_OVERRIDES` in `ci/notebooks.py`)" if overrides else "")
            + ".",
            "",
            "| claim | paper | holds in | measured: median [range] |",
            "|---|---|---|---|",
        ]
        for claim in record["claims"]:
            held = sum(claim["held"])
            note = " (not reproduced in any seed)" if held == 0 else " (seed-dependent)" if held < 4 else ""
            label = f"{held}/{len(claim['held'])}" + note
            cells = [claim["claim"], claim["paper"], label, _value_summary(claim["values"])]
            lines.append("| " + " | ".join(markdown_cell(text) for text in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def repository():
    """The one repository address: pyproject.toml's ``[project.urls] Repository``."""
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as handle:
        return tomllib.load(handle)["project"]["urls"]["Repository"].rstrip("/")


def requirement(address=None):
    """The pip requirement of the Colab install line: the package from the repository, no extras."""
    return f"wgan_keras @ git+{address or repository()}"


BADGE = re.compile(r"\[!\[Open In Colab\]\(https://colab\.research\.google\.com/assets/colab-badge\.svg\)\]\([^)]*\)")
BOOTSTRAP_END = "import wgan_keras as wk\n"


def badge(relative, address=None):
    """The Colab badge of the notebook at ``relative`` (a path inside the repository)."""
    path = (address or repository()).removeprefix("https://github.com/")
    return (
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"(https://colab.research.google.com/github/{path}/blob/main/{relative})"
    )


def bootstrap(address=None):
    """The lines that open a notebook's setup cell, up to ``import wgan_keras as wk``.

    On Colab the package is not installed yet, and Keras fixes its backend
    when it is first imported (``import wgan_keras`` imports Keras): so the
    install, then the backend, then the import, before the one library call.
    """
    return (
        "# Setup. These lines are written by `python ci/notebooks.py headers` from pyproject.toml.\n"
        "import os, subprocess, sys\n"
        'if "google.colab" in sys.modules:  # on Colab only: install this library (Colab has Keras and its backends)\n'
        f'    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{requirement(address)}"], check=True)\n'
        'os.environ["KERAS_BACKEND"] = backend  # Keras fixes its backend when it is first imported\n' + BOOTSTRAP_END
    )


def notebook_paths():
    return sorted(
        glob.glob(os.path.join(NOTEBOOKS, "*.ipynb")) + glob.glob(os.path.join(NOTEBOOKS, "exercises", "*.ipynb"))
    )


def setup_cell_index(cells):
    """The setup cell: the one after the cell tagged ``parameters``."""
    (index,) = [i for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    return index + 1


def with_headers(notebook, relative, address=None):
    """``notebook`` (a dict) with its badge and bootstrap written from ``address``; raises if either is missing."""
    cells = notebook["cells"]
    title = "".join(cells[0]["source"])
    if not BADGE.search(title):
        raise SystemExit(f"{relative}: the first cell has no Colab badge")
    _set_source(cells[0], BADGE.sub(lambda _: badge(relative, address), title, count=1))
    setup = cells[setup_cell_index(cells)]
    source = "".join(setup["source"])
    if BOOTSTRAP_END not in source:
        raise SystemExit(f"{relative}: the setup cell has no line {BOOTSTRAP_END.strip()!r}")
    _set_source(setup, bootstrap(address) + source.split(BOOTSTRAP_END, 1)[1])
    return notebook


def _set_source(cell, text):
    lines = text.split("\n")
    cell["source"] = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def headers(args):
    address = repository()
    for path in notebook_paths():
        relative = os.path.relpath(path, ROOT)
        with open(path) as handle:
            notebook = json.load(handle)
        before = json.dumps(notebook)
        with_headers(notebook, relative, address)
        if json.dumps(notebook) != before:
            with open(path, "w") as handle:
                json.dump(notebook, handle, indent=1, ensure_ascii=False)
                handle.write("\n")
            print(f"rewrote {relative}")


def parameters(args):
    chosen, _ = names(args.notebooks)
    for name in chosen:
        print(f"#### `{name}`\n\n| parameter | default | meaning |\n|---|---|---|")
        for parameter, kind, default, comment in parameter_rows(os.path.join(NOTEBOOKS, name)):
            print(f"| `{parameter}` ({kind}) | `{default}` | {comment.replace('|', '/')} |")
        print()


if __name__ == "__main__":
    commands = {
        "smoke": smoke,
        "regenerate": regenerate,
        "check": check,
        "seeds": seeds,
        "parameters": parameters,
        "headers": headers,
    }
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], usage=__doc__)
    parser.add_argument("command", choices=list(commands))
    parser.add_argument("notebooks", nargs="*")
    parser.add_argument("--backend", choices=("tensorflow", "jax", "torch"))
    parser.add_argument("--profile", choices=("cpu", "paper"), default="cpu")
    arguments = parser.parse_args()
    commands[arguments.command](arguments)
