"""The book's fast checks (no Sphinx, no browser): the README's front page against the records,
its links, and the pages generated from the committed records. The build with warnings as
errors and the browser check are `python ci/docs.py check` (CI)."""

import importlib.util
import json
import os
import re

import pytest
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load_docs():
    spec = importlib.util.spec_from_file_location("ci_docs", os.path.join(ROOT, "ci", "docs.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


docs = _load_docs()


def _readme():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        return handle.read()


def _repository():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as handle:
        return tomllib.load(handle)["project"]["urls"]["Repository"]


def readme_headline(text):
    """The reproduction figures the README states, as numbers."""
    flat = " ".join(text.split())
    claims = re.search(r"The notebooks check (\d+) claims", flat)
    every = re.search(r"\*\*(\d+) of (\d+) claims hold in every seed\*\*", flat)
    four = re.search(r"(\d+) in at least 4 of 5", flat)
    dependent = re.search(r"and (\d+) (?:is|are) seed-dependent", flat)
    never = re.search(r"(\d+) not reproduced in any seed", flat)
    assert claims and every and four and dependent and never, "the README's reproduction headline is not where it was"
    return {
        "claims": int(claims.group(1)),
        "all_seeds": int(every.group(1)),
        "claims_again": int(every.group(2)),
        "at_least_4": int(four.group(1)),
        "seed_dependent": int(dependent.group(1)),
        "not_reproduced": int(never.group(1)),
    }


def test_readme_headline_is_the_seed_record():
    record = docs.seed_counts()
    stated = readme_headline(_readme())
    assert stated["claims"] == stated["claims_again"] == record["claims"]
    assert stated["all_seeds"] == record["all_seeds"]
    assert stated["at_least_4"] == record["at_least_4"]
    assert stated["seed_dependent"] == record["seed_dependent"]
    assert stated["not_reproduced"] == record["not_reproduced"]


def test_seed_counts_are_counted_from_the_record(tmp_path):
    with open(os.path.join(ROOT, "outputs", "reproduction", "seeds.json")) as handle:
        record = json.load(handle)
    first = next(iter(record["notebooks"].values()))["claims"][0]
    first["held"] = [True, False, False, True, True]  # 3 of 5: seed-dependent
    counts = docs.seed_counts(record)
    original = docs.seed_counts()
    assert counts["claims"] == original["claims"]
    assert counts["seed_dependent"] == original["seed_dependent"] + 1
    assert counts["all_seeds"] == original["all_seeds"] - 1
    # A README that still states the old figures no longer matches.
    stated = readme_headline(_readme())
    assert stated["all_seeds"] != counts["all_seeds"]


def test_readme_is_a_front_page():
    assert len(_readme().encode("utf-8")) <= 10 * 1024


def test_readme_links_are_absolute_and_point_at_files():
    repository = _repository()
    links = re.findall(r"\]\(([^)\s]+)\)", _readme())
    assert links
    for link in links:
        assert link.startswith("https://"), f"relative link in the README (broken on the package index): {link}"
        for kind in ("blob", "tree", "raw"):
            prefix = f"{repository}/{kind}/main/"
            if link.startswith(prefix):
                path = link[len(prefix) :].split("#")[0]
                assert os.path.exists(os.path.join(ROOT, path)), f"README links to a missing file: {link}"


def test_every_book_page_the_readme_names_exists():
    repository = _repository()
    pages = re.findall(re.escape(repository) + r"/blob/main/docs/([\w.-]+\.md)", _readme())
    assert len(set(pages)) >= 15
    for page in pages:
        assert os.path.exists(os.path.join(ROOT, "docs", page))


def _toctree_entries():
    entries = set()
    for name in os.listdir(os.path.join(ROOT, "docs")):
        if name.endswith(".md"):
            with open(os.path.join(ROOT, "docs", name)) as handle:
                for block in re.findall(r"```\{toctree\}(.*?)```", handle.read(), flags=re.S):
                    entries |= {line.strip() for line in block.splitlines() if line.strip() and ":" not in line}
    return entries


def test_every_notebook_and_page_is_in_the_book():
    entries = _toctree_entries()
    for folder in ("notebooks", os.path.join("notebooks", "exercises")):
        for name in os.listdir(os.path.join(ROOT, folder)):
            if name.endswith(".ipynb"):
                assert f"{folder}/{name[: -len('.ipynb')]}".replace(os.sep, "/") in entries, name
    pages = {n[: -len(".md")] for n in os.listdir(os.path.join(ROOT, "docs")) if n.endswith(".md")}
    assert pages - {"index", "README"} <= entries


@pytest.mark.parametrize("path", ["notebooks/03_wgan_gp.ipynb", "notebooks/exercises/02_wgan_exercises.ipynb"])
def test_colab_address_is_the_notebooks_own(path):
    address = docs.colab_address(path)
    assert address == "https://colab.research.google.com/github/" + _repository().split("github.com/")[1] + (
        f"/blob/main/{path}"
    )
    with open(os.path.join(ROOT, path)) as handle:
        first = "".join(json.load(handle)["cells"][0]["source"])
    assert f"({address})" in first  # the notebook's own badge agrees with pyproject.toml


def test_generated_pages_come_from_the_records(tmp_path, monkeypatch):
    monkeypatch.setattr(docs, "SRC", str(tmp_path))
    record = docs.load_json("outputs", "reproduction", "seeds.json")
    claims = docs.claims_page()
    for notebook in record["notebooks"].values():
        for claim in notebook["claims"]:
            assert docs.cell(claim["claim"]) in claims
    modes = docs.modes_page()
    assert "| WGAN-GP |" in modes and "GAN, VEEGAN paper (published)" in modes
    assert (tmp_path / "_generated" / "figures" / "toy_modes.png").exists()
    paper = docs.paper_scale_page()
    assert "negative result" in paper and "**no**" in paper  # the paper-scale negative results are shown
    parameters = docs.parameters_page()
    for name in docs.CHAPTERS:
        assert f"### `{name}.ipynb`" in parameters
    assert "| `backend` (str) | `'tensorflow'` |" in parameters


def test_cli_page_lists_every_option_of_the_parser():
    import argparse

    from wgan_keras import train

    page = docs.cli_page()
    parser = docs._parser_of(train.parse_args, [])
    options = [o for a in parser._actions if not isinstance(a, argparse._HelpAction) for o in a.option_strings]
    assert "--model" in options and "--data" in options
    for option in options:
        assert f"`{option}`" in page


def test_versions_page_reads_the_constraint_files(tmp_path, monkeypatch):
    (tmp_path / "ci" / "constraints").mkdir(parents=True)
    (tmp_path / "ci" / "constraints" / "lowest.txt").write_text("# Python 3.11\nkeras==3.10.0\nnumpy==1.26.4\n")
    with open(os.path.join(ROOT, "pyproject.toml")) as handle:
        (tmp_path / "pyproject.toml").write_text(handle.read())
    monkeypatch.setattr(docs, "ROOT", str(tmp_path))
    page = docs.versions_page()
    assert "`3.10.0`" in page and "`1.26.4`" in page and "`3.11`" in page
    assert "ci/constraints/colab.txt" in page  # absent here: named as not read, no placeholder row


def test_the_repository_address_is_the_one_of_pyproject():
    """Every address of the project's GitHub repository in the README and the book's pages is pyproject's."""
    repository = _repository()
    owner = repository.split("github.com/")[1].split("/")[0]
    texts = [_readme()]
    for name in os.listdir(os.path.join(ROOT, "docs")):
        if name.endswith(".md"):
            with open(os.path.join(ROOT, "docs", name)) as handle:
                texts.append(handle.read())
    found = 0
    for text in texts:
        for address in re.findall(r"https://github\.com/" + re.escape(owner) + r"/[\w.-]+", text):
            assert address == repository, address
            found += 1
    assert found >= 20


def test_readme_speed_table_is_the_input_benchmark_record():
    """Every rate in the README's speed table is the recorded median (a rerun cannot leave it stale)."""
    import numpy as np

    record = docs.load_json("outputs", "benchmarks", "inputs.json")["rates"]
    # PyTorch's environment has no TensorFlow (no tf.data row): its own record.
    record.update(docs.load_json("outputs", "benchmarks", "torch", "inputs.json")["rates"])
    rows = {"a `tf.data` pipeline": "tf.data", "a numpy array": "array", "a user's `PyDataset`": "pydataset"}
    rows["`wk.data.toy_dataset` (the main job's input)"] = "toy"
    rows["the plain loop, batches in memory"] = "loop"
    stated = re.findall(r"^\| (.+?) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+|-) \|$", _readme(), flags=re.MULTILINE)
    assert {label for label, *_ in stated} == set(rows)
    for label, *values in stated:
        for backend, value in zip(("tensorflow", "jax", "torch"), values):
            kind = rows[label]
            expected = f"{np.median(record[backend][kind]):.1f}" if kind in record[backend] else "-"
            assert value == expected, (label, backend)
