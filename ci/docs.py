"""Build the book (the documentation site) and check it in a real browser.

    python ci/docs.py build      # stage the pages, then Sphinx with warnings as errors -> build/docs/html
    python ci/docs.py browse     # serve build/docs/html locally, check every chapter in headless Chromium
    python ci/docs.py check      # build, then browse (CI)
    python ci/docs.py browse --screenshots outputs/docs   # also write the two committed screenshots there

`build` stages into build/docs/src (ignored by git): the hand-written pages of
docs/, the notebooks and exercise notebooks at their paths in the repository
(so that each page's "launch in Colab" address, made by the theme from the
page's path and the repository address of pyproject.toml, is the notebook's
own), and the pages generated from the committed records (the five-seed
record, the paper-scale runs, the mode table, the command-line parser, the
notebooks' parameters, the benchmarks, the version constraints). Sphinx runs
with -W --keep-going: a broken cross-reference, a missing image or a
docstring that does not parse fails the build. The committed notebooks are
rendered, never executed.

`browse` needs Chromium (Debian's `chromium`, or CHROMIUM=/path) and the
`playwright` Python package (its driver only; no browser download). For each
page it asserts HTTP 200, no console error and no failed request, every image
loaded, the maths typeset by MathJax (no raw `$$` left), on notebook pages
the Colab address equal to the repository's, and the site's search finding
the page for a word of its title.
"""

import argparse
import contextlib
import functools
import http.server
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse

import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # the CLI page imports the library (and TensorFlow)
sys.path.insert(0, ROOT)  # the pages document this checkout, whatever is installed


def _load(name, path):
    # By path: `notebooks` and `docs` are also folders of the repository root.
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ci/notebooks.py: the five-seed record's and the parameters' formats, shared with its own reports.
nbtools = _load("ci_notebooks", os.path.join(ROOT, "ci", "notebooks.py"))

DOCS = os.path.join(ROOT, "docs")
BUILD = os.path.join(ROOT, "build", "docs")
SRC = os.path.join(BUILD, "src")
HTML = os.path.join(BUILD, "html")
OUTPUTS = os.path.join(ROOT, "outputs")
GENERATED = "_generated"  # staged snippets that the hand-written pages include
COLAB = "https://colab.research.google.com"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
# The papers' order: the chapters of the book.
CHAPTERS = ("01_distances", "02_wgan", "03_wgan_gp", "04_experiments", "05_stability_and_modes")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def repository():
    """The one repository address, ``[project.urls] Repository`` of pyproject.toml."""
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as handle:
        return tomllib.load(handle)["project"]["urls"]["Repository"]


def colab_address(path):
    """Colab's address of the notebook at ``path`` (relative to the repository root) on main."""
    owner_name = urllib.parse.urlparse(repository()).path.strip("/")
    return f"{COLAB}/github/{owner_name}/blob/main/{path}"


def load_json(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return json.load(handle)


def cell(text):
    return nbtools.markdown_cell(str(text))


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------ generated pages
def seed_counts(record=None):
    """How many claims hold in how many of the five seeds, from outputs/reproduction/seeds.json."""
    record = record or load_json("outputs", "reproduction", "seeds.json")
    held = [sum(c["held"]) for nb in record["notebooks"].values() for c in nb["claims"]]
    seeds = len(record["seeds"])
    return {
        "claims": len(held),
        "notebooks": len(record["notebooks"]),
        "seeds": seeds,
        "all_seeds": sum(h == seeds for h in held),
        "at_least_4": sum(h >= 4 for h in held),
        "seed_dependent": sum(0 < h < 4 for h in held),
        "not_reproduced": sum(h == 0 for h in held),
        "minutes": round(record["seconds"] / 60),
    }


def headline():
    n = seed_counts()
    backends = {}
    for backend in ("tensorflow", "jax"):
        path = os.path.join(OUTPUTS, "reproduction", f"{backend}.json")
        if os.path.exists(path):
            claims = [c for nb in load_json(path)["notebooks"].values() for c in nb["claims"]]
            backends[backend] = (sum(c["holds"] for c in claims), len(claims))
    lines = [
        f"**{n['claims']} claims** of the two papers are checked by the {n['notebooks']} notebooks. Over "
        f"{n['seeds']} seeds at the notebooks' defaults, **{n['all_seeds']} of {n['claims']} hold in every seed**, "
        f"{n['at_least_4']} in at least 4 of {n['seeds']}, {n['seed_dependent']} is *seed-dependent* and "
        f"{n['not_reproduced']} is not reproduced in any seed at this size (both reported, not enforced). "
    ]
    if backends:
        lines.append(
            "At the defaults, seed 0: "
            + "; ".join(
                f"{held} of {total} hold on {name.replace('tensorflow', 'TensorFlow').replace('jax', 'JAX')}"
                for name, (held, total) in backends.items()
            )
            + ". "
        )
    lines.append("The details: {doc}`/claims`.")
    return "".join(lines) + "\n"


def claims_page():
    record = load_json("outputs", "reproduction", "seeds.json")
    text = nbtools.seeds_markdown(record)
    # The record's own title becomes a section of the page; its notebooks, subsections.
    text = text.replace("# Reproduction claims over five seeds", "## The five-seed record", 1)
    text = re.sub(r"^## (\d\d_\w+)\.ipynb$", r"### \1.ipynb", text, flags=re.M)
    return text + "\n"


def paper_scale_page():
    parts = []
    for name in sorted(os.listdir(os.path.join(OUTPUTS, "paper_scale"))):
        folder = os.path.join(OUTPUTS, "paper_scale", name)
        run = load_json(folder, "run.json")
        claims = load_json(folder, name, "claims.json")
        parts += [
            f'#### {run["notebook"]}, `profile="paper"`',
            "",
            f"{claims['title']}. One run on the {run['backend']} backend, {run['seconds'] / 60:.0f} minutes on "
            f"{run['machine']} (started {run['started']}); the executed notebook and its figures are committed "
            f"under `outputs/paper_scale/{name}/`.",
            "",
            table(
                ["claim", "paper", "measured", "holds", "negative result"],
                [
                    [c["claim"], c["paper"], c["measured"], "yes" if c["holds"] else "**no**", c["negative"] or "-"]
                    for c in claims["claims"]
                ],
            ),
        ]
        for figure in sorted(os.listdir(os.path.join(folder, name))):
            if figure.endswith(".png"):
                staged = stage_figure(os.path.join(folder, name, figure), f"paper_scale_{name}_{figure}")
                parts += [
                    f"```{{figure}} /{staged}",
                    f":alt: {figure}",
                    "",
                    f"`{figure}` ({name}, paper scale)",
                    "```",
                    "",
                ]
    return "\n".join(parts) + "\n"


def backend_page():
    parts = []
    for backend in ("tensorflow", "jax"):
        path = os.path.join(OUTPUTS, "reproduction", f"{backend}.json")
        if not os.path.exists(path):
            continue
        record = load_json(path)
        rows, total, held = [], 0, 0
        for name, nb in record["notebooks"].items():
            n_held = sum(c["holds"] for c in nb["claims"])
            rows.append([name, f"{n_held}/{len(nb['claims'])}", f"{nb['seconds']} s"])
            total, held = total + len(nb["claims"]), held + n_held
        seconds = sum(nb["seconds"] for nb in record["notebooks"].values())
        parts += [
            f"**{backend}** (`outputs/reproduction/{backend}.md`, {record['machine']}): {held} of {total} claims "
            f"hold; {seconds / 60:.1f} minutes for all five.",
            "",
            table(["notebook", "claims that hold", "run time at the defaults"], rows),
        ]
    return "\n".join(parts) + "\n"


def modes_page():
    """The mode table as the committed run of notebook 05 printed it, with its figure."""
    path = os.path.join(ROOT, "notebooks", "05_stability_and_modes.ipynb")
    with open(path) as handle:
        cells = json.load(handle)["cells"]
    for c in cells:
        for output in c.get("outputs", []):
            text = "".join(output.get("text", ""))
            if text.startswith("Modes captured"):
                caption, _, rows = text.partition("\n\n")
                figure = stage_figure(os.path.join(OUTPUTS, "05_stability_and_modes", "toy_modes.png"), "toy_modes.png")
                return (
                    f"{caption.strip()} (the committed run of `05_stability_and_modes.ipynb`, printed by its "
                    f"cell):\n\n{rows.strip()}\n\n```{{figure}} /{figure}\n:alt: toy_modes.png\n\n"
                    "Samples of each model on the two mixtures (`outputs/05_stability_and_modes/toy_modes.png`)\n```\n"
                )
    raise SystemExit(f"error: {path} has no printed mode table ('Modes captured ...'): re-run the notebook")


def parameters_page():
    parts = []
    for name in CHAPTERS:
        rows = nbtools.parameter_rows(os.path.join(ROOT, "notebooks", f"{name}.ipynb"))
        parts += [
            f"### `{name}.ipynb`",
            "",
            table(["parameter", "default", "meaning"], [[f"`{p}` ({kind})", f"`{d}`", m] for p, kind, d, m in rows]),
        ]
    return "\n".join(parts) + "\n"


def _parser_of(function, *args):
    """The argparse parser that ``function`` builds, captured when it parses (nothing runs)."""
    import argparse as _argparse

    class Captured(Exception):
        pass

    original = _argparse.ArgumentParser.parse_args

    def capture(self, *a, **k):
        raise Captured(self)

    _argparse.ArgumentParser.parse_args = capture
    try:
        function(*args)
    except Captured as caught:
        return caught.args[0]
    finally:
        _argparse.ArgumentParser.parse_args = original
    raise RuntimeError(f"{function.__qualname__} built no parser")


def cli_page():
    import argparse as _argparse

    from benchmarks import cli as bench
    from wgan_keras import train

    parts = []
    for title, parser in (
        ("Training: `wgan_keras.train`", _parser_of(train.parse_args, [])),
        ("The benchmark: `python -m benchmarks` (a repository tool)", _parser_of(bench.main, [])),
    ):
        rows = []
        for action in parser._actions:
            if isinstance(action, _argparse._HelpAction):
                continue
            names = ", ".join(f"`{o}`" for o in action.option_strings) or f"`{action.dest}`"
            if action.choices:
                choices = " / ".join(f"`{c}`" for c in action.choices)
            else:
                choices = "-"
            default = (
                "-"
                if action.default is None or action.default is False or action.default == _argparse.SUPPRESS
                else f"`{action.default}`"
            )
            rows.append([names, choices, default, (action.help or "").replace("%(default)s", str(action.default))])
        usage = parser.format_help()
        parts += [
            f"## {title}",
            "",
            parser.description or "",
            "",
            table(["option", "allowed values", "default", "meaning"], rows),
            "`--help` prints:",
            "",
            "```text",
            usage.rstrip(),
            "```",
            "",
        ]
    return "\n".join(parts) + "\n"


def _constraints(path):
    pins, python = {}, None
    with open(path) as handle:
        for line in handle:
            text = line.strip()
            match = re.match(r"#\s*python\D*(\d+\.\d+)", text, re.I)
            if match and python is None:
                python = match.group(1)
            text = text.split("#", 1)[0].strip()
            if "==" in text:
                name, _, version = text.partition("==")
                pins[name.strip().lower()] = version.strip().split(";")[0].strip()
    return python, pins


def versions_page():
    packages = ("python", "keras", "tensorflow", "jax", "numpy", "scipy", "scikit-learn", "matplotlib")
    sets, read, missing = [], [], []
    for label, relative in (
        ("lowest (oldest supported)", "ci/constraints/lowest.txt"),
        ("Colab's runtime", "ci/constraints/colab.txt"),
    ):
        path = os.path.join(ROOT, relative)
        if os.path.exists(path):
            python, pins = _constraints(path)
            pins["python"] = python or "-"
            sets.append((f"{label}: `{relative}`", pins))
            read.append(relative)
        else:
            missing.append(relative)
    built = {"python": ".".join(map(str, sys.version_info[:3]))}
    for name in packages[1:]:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            built[name] = importlib.metadata.version(name)
    sets.append(("this book's build environment", built))
    rows = [[name] + [f"`{pins[name]}`" if name in pins else "-" for _, pins in sets] for name in packages]
    lines = [table(["package"] + [label for label, _ in sets], rows)]
    lines.append(
        "The last column is the environment that built this page (in CI: `requirements.txt` resolved to the newest "
        "releases)."
        + (f" Read from {', '.join(f'`{r}`' for r in read)}." if read else "")
        + (f" Not present in this checkout, so not shown: {', '.join(f'`{m}`' for m in missing)}." if missing else "")
    )
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as handle:
        project = tomllib.load(handle)["project"]
    lines += [
        "",
        f"The package's own lower bounds (`pyproject.toml`, Python {project['requires-python']}):",
        "",
        table(
            ["requirement", "for"],
            [[f"`{d}`", "always"] for d in project["dependencies"]]
            + [[f"`{d}`", f"`[{extra}]`"] for extra, deps in project["optional-dependencies"].items() for d in deps],
        ),
    ]
    return "\n".join(lines) + "\n"


def inputs_page():
    """The input-kind benchmark's own table (``python -m benchmarks --inputs``), as recorded."""
    parts = []
    for relative in ("benchmarks/inputs.md", "benchmarks/torch/inputs.md"):
        with open(os.path.join(OUTPUTS, relative)) as handle:
            parts.append(f"`outputs/{relative}`:\n\n{handle.read().strip()}\n")
    return "\n".join(parts)


def benchmarks_page():
    parts = []
    for relative, title in (
        ("benchmarks/toy/latest.md", "The toy case timed again: `python -m benchmarks --cases toy_wgan_gp`"),
        ("benchmarks/latest.md", "The full run: `python -m benchmarks --out outputs/benchmarks`"),
    ):
        with open(os.path.join(OUTPUTS, relative)) as handle:
            parts += [f"### {title}", "", f"`outputs/{relative}`:", "", handle.read().strip(), ""]
    rows = []
    for relative in ("benchmarks/memory.json", "benchmarks/jax/memory.json"):
        path = os.path.join(OUTPUTS, relative)
        if not os.path.exists(path):
            continue
        record = load_json(path)
        samples = record["rss_mib"]
        machine = record["machine"]
        rows.append(
            [
                machine["backend"],
                f"Keras {machine['keras']}, "
                + ", ".join(f"{k} {machine[k]}" for k in ("tensorflow", "jax") if k in machine),
                record["iterations"],
                f"{record['seconds']:.0f} s",
                f"{samples[0][1]:.2f} → {samples[-1][1]:.2f} MiB",
                f"{samples[-1][1] - samples[0][1]:.2f} MiB",
                f"`outputs/{relative}`",
            ]
        )
    parts += [
        "### Memory: `python -m benchmarks --memory`",
        "",
        table(
            [
                "backend",
                "versions",
                "generator iterations",
                "time",
                "resident memory, first → last sample",
                "growth",
                "record",
            ],
            rows,
        ),
    ]
    return "\n".join(parts) + "\n"


def api_names_page():
    """Every public name of ``wgan_keras`` (``__all__``), linked to where its docstring is rendered."""
    import types

    import wgan_keras

    rows = []
    for name in wgan_keras.__all__:
        value = getattr(wgan_keras, name)
        if isinstance(value, types.ModuleType):
            target, role = value.__name__, "mod"
        elif isinstance(value, type):
            target, role = f"{value.__module__}.{value.__qualname__}", "class"
        elif callable(value):
            target, role = f"{value.__module__}.{value.__qualname__}", "func"
        else:  # a constant: documented with the module that defines it (the deepest that has it)
            owners = [
                m for m in list(sys.modules.values())
                if isinstance(m, types.ModuleType) and m.__name__.startswith("wgan_keras.")
                and getattr(m, name, None) is value
            ]  # fmt: skip
            target, role = max(owners, key=lambda m: m.__name__.count(".")).__name__, "mod"
        if role == "mod" and not isinstance(value, types.ModuleType):
            doc = f"`{name} = {value!r}`"
        else:
            doc = (getattr(value, "__doc__", None) or "").strip().split("\n")[0]
        rows.append([f"`wk.{name}`", f"{{py:{role}}}`{target}`", doc])
    return table(["name", "documented at", "summary"], rows).replace("\\|", "\\|")


def stage_figure(path, name):
    target = os.path.join(SRC, GENERATED, "figures", name)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(path, target)
    return f"{GENERATED}/figures/{name}"


# ------------------------------------------------------------ staging and building
def stage_notebook(source, target, depth):
    with open(source) as handle:
        notebook = json.load(handle)
    badge = "../" * depth + f"{GENERATED}/figures/colab-badge.svg"
    for c in notebook["cells"]:
        if c["cell_type"] == "markdown":
            # The badge image is remote; the book serves a local copy (its link stays the notebook's own).
            c["source"] = [line.replace(BADGE, badge) for line in c["source"]]
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w") as handle:
        json.dump(notebook, handle)


def stage():
    if os.path.isdir(SRC):
        shutil.rmtree(SRC)
    shutil.copytree(DOCS, SRC, ignore=shutil.ignore_patterns("conf.py", "_static", "_templates", "__pycache__"))
    stage_figure(os.path.join(DOCS, "_static", "colab-badge.svg"), "colab-badge.svg")
    for name in CHAPTERS:
        stage_notebook(
            os.path.join(ROOT, "notebooks", f"{name}.ipynb"), os.path.join(SRC, "notebooks", f"{name}.ipynb"), 1
        )
        stage_notebook(
            os.path.join(ROOT, "notebooks", "exercises", f"{name}_exercises.ipynb"),
            os.path.join(SRC, "notebooks", "exercises", f"{name}_exercises.ipynb"),
            2,
        )
    with open(os.path.join(ROOT, "CHANGELOG.md")) as handle:
        changelog = handle.read().split("\n", 1)[1]  # without its title: the page has one
    with open(os.path.join(SRC, GENERATED, "CHANGELOG.md"), "w") as handle:
        handle.write(changelog)
    for name in ("figure1_distances_vs_theta.png",):
        stage_figure(os.path.join(OUTPUTS, "01_distances", name), name)
    stage_figure(os.path.join(OUTPUTS, "03_wgan_gp", "figure1a_value_surfaces.png"), "figure1a_value_surfaces.png")
    generated = {
        "headline.md": headline,
        "claims.md": claims_page,
        "paper_scale.md": paper_scale_page,
        "backends.md": backend_page,
        "modes.md": modes_page,
        "parameters.md": parameters_page,
        "cli.md": cli_page,
        "versions.md": versions_page,
        "benchmarks.md": benchmarks_page,
        "inputs.md": inputs_page,
        "api_names.md": api_names_page,
    }
    for filename, make in generated.items():
        with open(os.path.join(SRC, GENERATED, filename), "w") as handle:
            handle.write(make())


def build(args=None):
    started = time.monotonic()
    stage()
    for folder in (HTML, os.path.join(BUILD, "doctrees"), os.path.join(SRC, "api")):
        shutil.rmtree(folder, ignore_errors=True)
    command = [
        sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q", "-j", "1",
        "-c", DOCS, "-d", os.path.join(BUILD, "doctrees"), SRC, HTML,
    ]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("MPLBACKEND", "agg")
    code = subprocess.call(command, cwd=ROOT, env=env)
    print(f"docs: build {'passed' if code == 0 else 'FAILED'} in {time.monotonic() - started:.0f} s -> {HTML}")
    if code:
        raise SystemExit(code)


# ------------------------------------------------------------ the browser check
def pages_to_check():
    """The home page, every chapter and page of the book's table of contents, and the API index."""
    pages = []
    for dirpath, _, filenames in os.walk(HTML):
        for filename in filenames:
            if not filename.endswith(".html"):
                continue
            relative = os.path.relpath(os.path.join(dirpath, filename), HTML).replace(os.sep, "/")
            if relative.startswith(("_", "api/")) or relative in ("genindex.html", "search.html", "py-modindex.html"):
                continue
            pages.append(relative)
    return sorted(pages, key=lambda p: (p != "index.html", p))


@contextlib.contextmanager
def serve(folder):
    handler = functools.partial(_QuietHandler, directory=folder)
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # The browser drops prefetches when it navigates on: not an error of the site.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


PAGE_FACTS = """() => {
  const imgs = Array.from(document.querySelectorAll('img'));
  const maths = Array.from(document.querySelectorAll('.math'));
  const article = (document.querySelector('article') || document.body).cloneNode(true);
  article.querySelectorAll('code, pre, script, style').forEach(e => e.remove());  // `$$` quoted as code is fine
  const title = (document.querySelector('article h1') || document.querySelector('h1') || {}).textContent || '';
  const colab = Array.from(document.querySelectorAll('a[href^="https://colab.research.google.com/github/"]'))
      .map(a => a.getAttribute('href'));
  return {
    title: title.replace(/[#¶]/g, '').trim(),
    images: imgs.length,
    broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src')),
    maths: maths.length,
    typeset: maths.filter(m => m.querySelector('mjx-container')).length,
    rawDisplay: article.textContent.includes('$$'),
    colab: colab,
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
    mathjax: !!document.querySelector('script[src*="mathjax"]'),
  };
}"""

STOPWORDS = {"about", "their", "there", "these", "which", "without", "between", "notebook", "notebooks"}


def search_word(title):
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z-]{4,}", title) if w.lower() not in STOPWORDS]
    return max(words, key=len) if words else None


def browse(args):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit("error: the browser check needs playwright: pip install -r requirements-docs.txt") from None
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        raise SystemExit(f"error: Chromium not found at {chromium}: apt-get install chromium, or set CHROMIUM=/path")
    if not os.path.exists(os.path.join(HTML, "index.html")):
        raise SystemExit(f"error: no built site in {HTML}: run `python ci/docs.py build` first")
    pages = pages_to_check()
    expected_notebooks = [f"notebooks/{n}.html" for n in CHAPTERS] + [
        f"notebooks/exercises/{n}_exercises.html" for n in CHAPTERS
    ]
    missing = [p for p in expected_notebooks + ["index.html", "api.html"] if p not in pages]
    failures = [f"{p}: page not built" for p in missing]
    started = time.monotonic()
    with serve(HTML) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors = []

        def on_console(message):
            if message.type == "error":
                errors.append(f"console error: {message.text} ({message.location.get('url')})")

        page.on("console", on_console)
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        # ERR_ABORTED: a prefetch or pending request cancelled by the next navigation, not a missing file
        # (missing files answer 404, caught below; a remote asset fails to resolve, caught here).
        page.on(
            "requestfailed",
            lambda r: errors.append(f"request failed: {r.url} ({r.failure})")
            if "ERR_ABORTED" not in (r.failure or "")
            else None,
        )
        page.on(
            "response",
            lambda r: errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
        )
        print(f"{'page':<58} {'HTTP':>4} {'imgs':>5} {'maths':>9} {'colab':>6} {'search':>14}  result")
        for relative in pages:
            errors.clear()
            problems = []
            response = page.goto(base + relative, wait_until="load")
            status = response.status if response else 0
            if status != 200:
                problems.append(f"HTTP {status}")
            if page.evaluate("() => !!(window.MathJax && MathJax.startup && MathJax.startup.promise)"):
                page.evaluate("() => MathJax.startup.promise")
            facts = page.evaluate(PAGE_FACTS)
            if facts["broken"]:
                problems.append(f"images not loaded: {facts['broken']}")
            if facts["maths"] != facts["typeset"]:
                problems.append(f"maths not typeset: {facts['typeset']} of {facts['maths']}")
            broken_links = [link for link in facts["links"] if not local_target_exists(link, base)]
            if broken_links:
                problems.append(f"links to files the site does not have: {sorted(set(broken_links))}")
            if facts["rawDisplay"]:
                problems.append("raw $$ left in the page")
            chapter = relative.startswith("notebooks/") and relative.endswith(".html")
            if chapter:
                expected = colab_address(relative[: -len(".html")] + ".ipynb")
                if expected not in facts["colab"] or any(a != expected for a in facts["colab"]):
                    problems.append(f"Colab addresses {facts['colab']} != {expected}")
                if relative.count("/") == 1 and facts["maths"] == 0:
                    problems.append("a chapter without maths (expected the notebook's LaTeX)")
            word = search_word(facts["title"])
            found = "-"
            if word is None:
                problems.append(f"no search word in the title {facts['title']!r}")
            else:
                hits = search(page, base, word)
                found = f"{word}:{'yes' if relative in hits else 'NO'}"
                if relative not in hits:
                    problems.append(f"search for {word!r} does not return the page ({len(hits)} results)")
            problems += errors
            colab_cell = (
                "ok" if chapter and not any("Colab" in p for p in problems) else ("-" if not chapter else "BAD")
            )
            print(
                f"{relative:<58} {status:>4} {len(facts['broken']) and 'BAD' or facts['images']:>5} "
                f"{facts['typeset']:>4}/{facts['maths']:<4} {colab_cell:>6} {found:>14}  "
                + ("ok" if not problems else "FAIL")
            )
            failures += [f"{relative}: {p}" for p in problems]
            if args.screenshots and relative in ("index.html", "notebooks/03_wgan_gp.html"):
                page.goto(base + relative, wait_until="load")
                if relative != "index.html":
                    # The first figure of the notebook's outputs, with the text above it.
                    page.evaluate("() => document.querySelector('.cell_output img').scrollIntoView()")
                    page.evaluate("() => window.scrollBy(0, -360)")
                page.wait_for_timeout(300)
                os.makedirs(args.screenshots, exist_ok=True)
                name = "home.png" if relative == "index.html" else "chapter_03_wgan_gp.png"
                page.screenshot(path=os.path.join(args.screenshots, name))
        browser.close()
    print(f"docs: browser check of {len(pages)} pages in {time.monotonic() - started:.0f} s")
    if failures:
        print("\n".join(["FAILED:"] + failures), file=sys.stderr)
        raise SystemExit(1)
    print(f"{len(pages)} passed, 0 failed")


def local_target_exists(link, base):
    """A link into the site points at a file it has (a folder only with its index.html)."""
    if not link.startswith(base):
        return True  # external links (the repository, Colab, the papers) are not fetched offline
    path = urllib.parse.unquote(urllib.parse.urlparse(link).path).lstrip("/")
    target = os.path.join(HTML, path)
    return os.path.isfile(target) or os.path.isfile(os.path.join(target, "index.html"))


def search(page, base, word):
    """The pages (paths relative to the site) that the site's own search returns for ``word``."""
    page.goto(f"{base}search.html?q={urllib.parse.quote(word)}", wait_until="load")
    page.wait_for_function(
        "() => { const s = document.querySelector('#search-results .search-summary, #search-results p');"
        " return s && /found|did not match|no results/i.test(s.textContent); }",
        timeout=30000,
    )
    hrefs = page.eval_on_selector_all("#search-results li a", "as => as.map(a => a.href)")
    found = set()
    for href in hrefs:
        path = urllib.parse.urlparse(href).path.lstrip("/")
        found.add(path or "index.html")
    return found


def check(args):
    build(args)
    browse(args)


if __name__ == "__main__":
    commands = {"build": build, "browse": browse, "check": check}
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], usage=__doc__)
    parser.add_argument("command", choices=list(commands))
    parser.add_argument("--screenshots", help="write home.png and chapter_03_wgan_gp.png into this folder")
    arguments = parser.parse_args()
    commands[arguments.command](arguments)
