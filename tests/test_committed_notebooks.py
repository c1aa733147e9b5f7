"""Every committed notebook ran top to bottom at its defaults, and passed its check."""

import ast
import glob
import importlib.util
import json
import os
import re

import pytest

from wgan_keras import backends, params
from wgan_keras.reproduction import PASSED

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))
ALL_NOTEBOOKS = NOTEBOOKS + sorted(glob.glob(os.path.join(ROOT, "notebooks", "exercises", "*.ipynb")))
_spec = importlib.util.spec_from_file_location("ci_notebooks", os.path.join(ROOT, "ci", "notebooks.py"))
ci_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ci_notebooks)
REQUIRED = ["01_distances.ipynb", "02_wgan.ipynb", "03_wgan_gp.ipynb", "04_experiments.ipynb"]


def load(path):
    with open(path) as handle:
        return json.load(handle)


def code_cells(notebook):
    return [c for c in notebook["cells"] if c["cell_type"] == "code"]


def text(output):
    if "text" in output:
        return "".join(output["text"])
    return "".join(output.get("data", {}).get("text/plain", ""))


def test_the_named_notebooks_exist_and_ci_runs_all_of_them():
    names = [os.path.basename(p) for p in NOTEBOOKS]
    assert set(REQUIRED) <= set(names)
    with open(os.path.join(ROOT, "ci", "notebooks.json")) as handle:
        settings = json.load(handle)
    assert sorted(k for k in settings if k.endswith(".ipynb")) == names
    for name in names:
        assert settings[name]["smoke"].get("check_claims") is False


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_notebook_ran_top_to_bottom_and_passed_its_reproduction_check(path):
    notebook = load(path)
    cells = code_cells(notebook)
    counts = [c.get("execution_count") for c in cells]
    assert None not in counts, "a code cell was not executed"
    assert counts == list(range(1, len(cells) + 1)), f"execution counts out of order: {counts}"
    errors = [o for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors[0].get("ename") if errors else None
    # Run by papermill at the defaults (no -p overrides), within 12 minutes on the 2-core CPU (05, whose mode
    # table trains 30 toy models, takes the longest; the others take a few minutes).
    papermill = notebook["metadata"].get("papermill", {})
    assert papermill.get("parameters") == {}, f"committed run had overrides: {papermill.get('parameters')}"
    seconds = sum(c["metadata"].get("papermill", {}).get("duration") or 0 for c in cells)
    assert 0 < seconds < 720, f"default run took {seconds:.0f} s"
    last = "".join(text(o) for o in cells[-1].get("outputs", []))
    assert PASSED in last, "the closing reproduction check did not pass (or is not the last cell)"
    assert "colab.research.google.com" in "".join("".join(c["source"]) for c in notebook["cells"][:3])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_parameters_cell_is_papermill_compatible(path):
    cells = code_cells(load(path))
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell must be tagged 'parameters'"
    source = "".join(tagged[0]["source"])
    names = []
    for line in source.splitlines():
        code = line.split("#", 1)[0]
        if code.strip():
            assert code.count("=") == 1, f"papermill needs one '=' per line: {line!r}"
            assert "#" in line, f"every parameter is commented: {line!r}"
    for node in ast.parse(source).body:
        assert isinstance(node, ast.AnnAssign), "every parameter is typed (name: type = value)"
        names.append(node.target.id)
    assert {"seed", "check_claims"} <= set(names)
    # nbval's check is a cell tag, not a comment a reader sees (issue 20).
    assert not any("NBVAL" in "".join(c["source"]) for c in cells)
    checked = [c for c in cells if "nbval-check-output" in c.get("metadata", {}).get("tags", [])]
    assert checked, "at least one cell holds deterministic numbers for nbval"


def test_the_book_documents_every_parameter_of_every_notebook_with_its_default():
    # The parameter tables moved from the README to the book (page "Running the notebooks"),
    # which generates them when it is built: check the text the build includes.
    spec = importlib.util.spec_from_file_location("ci_docs", os.path.join(ROOT, "ci", "docs.py"))
    docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(docs)
    book = docs.parameters_page()
    for path in NOTEBOOKS:
        name = os.path.basename(path)
        heading = f"### `{name}`"
        assert heading in book, f"the book has no parameter table for {name}"
        section = book.split(heading, 1)[1].split("###", 1)[0]
        cells = code_cells(load(path))
        (tagged,) = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
        for node in ast.parse("".join(tagged["source"])).body:
            row = f"| `{node.target.id}` ({ast.unparse(node.annotation)}) | `{ast.unparse(node.value)}` |"
            assert row in section, f"{name}: the book lacks or misstates {row}"


def default_parameters(path):
    cells = code_cells(load(path))
    (tagged,) = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    return {node.target.id: ast.unparse(node.value) for node in ast.parse("".join(tagged["source"])).body}


def committed_claims(path):
    """The claims of the committed default run (written by its check to outputs/<notebook>/claims.json)."""
    stem = os.path.splitext(os.path.basename(path))[0]
    return load(os.path.join(ROOT, "outputs", stem, "claims.json"))["claims"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_claims_json_is_the_committed_runs_check(path):
    last = "".join(text(o) for o in code_cells(load(path))[-1].get("outputs", []))
    for claim in committed_claims(path):
        assert f"| {claim['claim']} | {claim['paper']} | {claim['measured']} |" in last, claim["claim"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_the_five_seed_record_was_made_from_the_current_notebook(path):
    """seeds.json (python ci/notebooks.py seeds) must be regenerated when a default or a claim changes."""
    record = load(os.path.join(ROOT, "outputs", "reproduction", "seeds.json"))
    stem = os.path.splitext(os.path.basename(path))[0]
    assert stem in record["notebooks"], f"seeds.json has no record of {stem}"
    entry = record["notebooks"][stem]
    assert entry["parameters"] == default_parameters(path), "the defaults changed since seeds.json was made"
    assert [c["claim"] for c in entry["claims"]] == [c["claim"] for c in committed_claims(path)], (
        "the claims changed since seeds.json was made"
    )
    assert record["seeds"] == [0, 1, 2, 3, 4] and all(len(c["held"]) == 5 for c in entry["claims"])
    with open(os.path.join(ROOT, "outputs", "reproduction", "seeds.md")) as handle:
        markdown = handle.read()
    for claim in entry["claims"]:
        cells = [text.replace("|", "\\|") for text in (claim["claim"], claim["paper"])]
        assert f"| {cells[0]} | {cells[1]} | {sum(claim['held'])}/5" in markdown


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_a_paper_scale_run_is_committed_with_its_time_and_machine_where_the_notebook_has_one(path):
    if "profile" not in default_parameters(path):
        pytest.skip("this notebook has no paper profile")
    stem = os.path.splitext(os.path.basename(path))[0]
    folder = os.path.join(ROOT, "outputs", "paper_scale", stem)
    run = load(os.path.join(folder, "run.json"))
    assert run["profile"] == "paper" and run["seconds"] > 0 and "cores" in run["machine"]
    executed = load(os.path.join(folder, os.path.basename(path)))
    assert executed["metadata"]["papermill"]["parameters"].get("profile") == "paper"
    errors = [o for c in code_cells(executed) for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert PASSED in "".join(text(o) for o in code_cells(executed)[-1].get("outputs", []))


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_each_backends_check_at_the_defaults_was_made_from_the_current_notebooks(backend):
    """outputs/reproduction/<backend>.json (python ci/notebooks.py check) must be redone when a claim changes."""
    path = os.path.join(ROOT, "outputs", "reproduction", f"{backend}.json")
    if not os.path.exists(path):
        pytest.skip(f"no check of the defaults on {backend} is recorded")
    record = load(path)
    assert record["backend"] == backend
    assert sorted(record["notebooks"]) == sorted(os.path.basename(p) for p in NOTEBOOKS)
    for notebook in NOTEBOOKS:
        claims = record["notebooks"][os.path.basename(notebook)]["claims"]
        assert [c["claim"] for c in claims] == [c["claim"] for c in committed_claims(notebook)], notebook


def test_the_repository_address_is_read_from_pyproject():
    assert ci_notebooks.repository() == "https://github.com/wgan-keras/wgan_keras"
    assert ci_notebooks.requirement() == "wgan_keras @ git+https://github.com/wgan-keras/wgan_keras"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=os.path.basename)
def test_colab_badge_and_install_line_are_the_ones_generated_from_pyproject(path):
    """`python ci/notebooks.py headers` rewrites them; a notebook that differs fails here."""
    notebook = load(path)
    relative = os.path.relpath(path, ROOT)
    expected = ci_notebooks.with_headers(load(path), relative)
    assert "".join(notebook["cells"][0]["source"]) == "".join(expected["cells"][0]["source"]), "Colab badge"
    index = ci_notebooks.setup_cell_index(notebook["cells"])
    setup = "".join(notebook["cells"][index]["source"])
    assert setup == "".join(expected["cells"][index]["source"]), "setup cell: run python ci/notebooks.py headers"
    assert ci_notebooks.badge(relative) in "".join(notebook["cells"][0]["source"])
    # The install line: on Colab only, one argument to `python -m pip install -q`, the package and nothing else.
    (install,) = [line for line in setup.splitlines() if "pip" in line]
    call = ast.parse(install.strip()).body[0].value
    assert [ast.literal_eval(a) for a in call.args[0].elts[1:]] == [
        "-m",
        "pip",
        "install",
        "-q",
        "wgan_keras @ git+https://github.com/wgan-keras/wgan_keras",
    ]
    guard = setup.splitlines()[setup.splitlines().index(install) - 1]
    assert guard.startswith('if "google.colab" in sys.modules:')
    # The one library call after the bootstrap; no list of parameters beside the parameters cell.
    assert setup.rstrip().splitlines()[-1].startswith("wk.params.setup(globals()")
    assert "NotebookParameters" not in "".join("".join(c["source"]) for c in notebook["cells"])


def test_a_badge_or_install_line_from_another_address_is_caught():
    path = os.path.join(ROOT, "notebooks", "02_wgan.ipynb")
    moved = ci_notebooks.with_headers(load(path), "notebooks/02_wgan.ipynb", "https://github.com/someone/fork")
    index = ci_notebooks.setup_cell_index(moved["cells"])
    assert "git+https://github.com/someone/fork" in "".join(moved["cells"][index]["source"])
    assert "github/someone/fork/blob/main/notebooks/02_wgan.ipynb" in "".join(moved["cells"][0]["source"])
    assert "".join(moved["cells"][index]["source"]) != "".join(load(path)["cells"][index]["source"])


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=os.path.basename)
def test_every_parameter_declares_its_allowed_values(path):
    cells = code_cells(load(path))
    (tagged,) = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    declared = params.parse_parameters_cell("".join(tagged["source"]))  # raises on a number without its range
    assert declared["backend"] == ("str", backends.SUPPORTED)


# Issue 20: a number typed into a notebook's markdown goes stale when a run changes. Every decimal number in
# the markdown must therefore be printed (or rendered) by the executed notebook itself, unless it is one of
# these: settings of the papers and of the notebooks, data constants and closed forms, which no run measures.
NOT_MEASURED = {
    "*": {"0.5", "0.9", "0.01", "0.1", "0.001", "0.99", "0.0003", "0.00005", "0.693"},
    "01_distances.ipynb": {"0.44", "0.0098", "0.03"},  # sqrt(pi)/4, its value at n = 2048, the check's tolerance
    "02_wgan.ipynb": {"0.014"},  # the 8-Gaussians' standard deviation
    "03_wgan_gp.ipynb": {"0.09"},  # 2 grid cells of the 128-point grid over [-3, 3]
    "04_experiments.ipynb": {"0.93", "0.2"},  # overfit_fraction; 2 lambda at lambda = 0.1
    "05_stability_and_modes.ipynb": {"0.08", "5.12", "3.3", "0.0141", "0.0177", "1/8"},  # clip, 512 c, VEEGAN, std
}
_REFERENCE = re.compile(r"(Sections?|Theorems?|Thm\.?|Figures?|Fig\.|Table|arXiv:)\s*\d+\.\d+(-\d+\.\d+)?")
_DECIMAL = re.compile(r"(?<![\w.\-])\d*\.\d+(?![\d.])")
_COUNT = re.compile(r"\b(\d+) of (?:the )?(\d+)\b")  # "9 of the 25 modes": a count the run must print as 9/25


def outputs_text(notebook):
    parts = []
    for cell in code_cells(notebook):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            parts += [
                "".join(output.get("text", "")),
                "".join(data.get("text/plain", "")),
                "".join(data.get("text/markdown", "")),
            ]
    return "\n".join(parts)


def quoted_numbers(markdown):
    markdown = re.sub(r"\]\([^)]*\)", "]", markdown)  # link targets
    markdown = _REFERENCE.sub("", markdown)
    counts = [f"{m.group(1)}/{m.group(2)}" for m in _COUNT.finditer(markdown)]
    return [m.group() for m in _DECIMAL.finditer(_COUNT.sub("", markdown))] + counts


def stale_numbers(notebook, name):
    printed = outputs_text(notebook)
    allowed = NOT_MEASURED["*"] | NOT_MEASURED.get(name, set())
    markdown = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    printed_counts = printed + "\n" + _COUNT.sub(lambda m: f"{m.group(1)}/{m.group(2)}", printed)
    return sorted({n for n in quoted_numbers(markdown) if n not in allowed and n not in printed_counts})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_every_number_the_markdown_quotes_is_printed_by_the_run(path):
    stale = stale_numbers(load(path), os.path.basename(path))
    assert not stale, f"numbers in the markdown that this run does not print: {stale}"


def test_a_stale_number_in_the_markdown_is_caught():
    notebook = load(os.path.join(ROOT, "notebooks", "02_wgan.ipynb"))
    notebook["cells"].append(
        {"cell_type": "markdown", "source": ["K ranges from 0.0225 to 0.0291 (Section 4.2); 9 of the 25 modes."]}
    )
    assert "0.0291" in stale_numbers(notebook, "02_wgan.ipynb") and "9/25" in stale_numbers(notebook, "02_wgan.ipynb")
    assert "4.2" not in stale_numbers(notebook, "02_wgan.ipynb")
