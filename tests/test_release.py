"""The package as released: license, metadata, version ranges tested at both ends, the console script."""

import importlib.metadata
import os
import re
import subprocess
import sys

import keras
import pytest
import tomllib
from conftest import ROOT, subprocess_env

import wgan_keras
from wgan_keras import train

with open(os.path.join(ROOT, "pyproject.toml"), "rb") as _handle:
    PROJECT = tomllib.load(_handle)["project"]
CONSTRAINTS = os.path.join(ROOT, "ci", "constraints")
REQUIREMENT = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*(.*)$")


def normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements():
    """``{name: specifier}`` of every dependency, extras included."""
    entries = PROJECT["dependencies"] + [r for extra in PROJECT["optional-dependencies"].values() for r in extra]
    return {normalise(m.group(1)): m.group(2).strip() for m in map(REQUIREMENT.match, entries)}


def pins(name):
    """``({package: version}, python)`` of a constraint file in ci/constraints/."""
    versions, python = {}, None
    with open(os.path.join(CONSTRAINTS, f"{name}.txt")) as handle:
        for line in handle:
            line = line.strip()
            if line.startswith("# python:"):
                python = line.split(":", 1)[1].strip()
            elif line and not line.startswith("#"):
                package, version = line.split("==")
                versions[normalise(package)] = version
    return versions, python


def version_tuple(text):
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def test_the_license_is_apache_2_in_the_file_and_the_metadata():
    with open(os.path.join(ROOT, "LICENSE")) as handle:
        text = handle.read()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert PROJECT["license"] == "Apache-2.0"
    assert PROJECT["license-files"] == ["LICENSE"]


def test_the_version_has_one_source():
    assert "version" not in PROJECT and PROJECT["dynamic"] == ["version"]
    assert importlib.metadata.version("wgan_keras") == wgan_keras.__version__
    with open(os.path.join(ROOT, "CHANGELOG.md")) as handle:
        assert f"## {wgan_keras.__version__}" in handle.read()


def test_every_classifier_is_a_valid_trove_classifier():
    trove = pytest.importorskip("trove_classifiers")
    unknown = [c for c in PROJECT["classifiers"] if c not in trove.classifiers]
    assert not unknown


def test_the_python_classifiers_are_the_versions_ci_tests():
    tested = {f"{sys.version_info.major}.{sys.version_info.minor}"}
    tested |= {pins(name)[1] for name in ("lowest", "colab")}
    claimed = {c.rsplit(" :: ", 1)[1] for c in PROJECT["classifiers"] if re.fullmatch(r".*Python :: 3\.\d+", c)}
    assert claimed == tested


def test_dependencies_have_lower_bounds_and_no_upper_caps():
    for name, specifier in requirements().items():
        if name == "importlib-resources":  # any version: only its presence is needed
            continue
        assert specifier.startswith(">="), f"{name} has no lower bound: {specifier!r}"
        assert "<" not in specifier and "==" not in specifier and "~=" not in specifier, f"{name} is capped"


def test_the_lowest_set_pins_every_lower_bound():
    lowest, _ = pins("lowest")
    for name, specifier in requirements().items():
        if specifier.startswith(">="):
            pinned = version_tuple(lowest.get(name, "0"))
            assert pinned == version_tuple(specifier[2:] + ".0.0"), f"ci/constraints/lowest.txt must pin {name}"


def test_the_lower_bounds_are_no_newer_than_colab():
    colab, _ = pins("colab")
    for name in ("keras", "tensorflow", "jax", "numpy", "tensorflow-datasets", "scipy", "scikit-learn"):
        bound = requirements()[name][2:]
        assert version_tuple(bound) <= version_tuple(colab[name]), f"{name}>={bound} excludes Colab's {colab[name]}"


def test_the_urls_name_one_repository():
    urls = PROJECT["urls"]
    repository = urls["Repository"]
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", repository)
    assert all(url.startswith(repository) for url in urls.values())


def test_the_wheel_holds_the_library_only():
    """The benchmark (benchmarks/), the probes (tools/), CI and the tests are repository tools, not in the wheel."""
    import setuptools

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as handle:
        include = tomllib.load(handle)["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = setuptools.find_packages(ROOT, include=include)
    assert "wgan_keras" in packages and "wgan_keras.exercises" in packages
    assert all(p == "wgan_keras" or p.startswith("wgan_keras.") for p in packages), packages


def test_the_console_script_is_the_command_line_module():
    assert PROJECT["scripts"] == {"wgan-keras": "wgan_keras.train:main"}


def test_version_on_the_console_script_and_the_module():
    script = os.path.join(os.path.dirname(sys.executable), "wgan-keras")
    if not os.path.exists(script):
        pytest.skip("the package is not installed in this environment (no wgan-keras script)")
    expected = f"wgan_keras {wgan_keras.__version__}"
    for command in ([script, "--version"], [sys.executable, "-m", "wgan_keras.train", "--version"]):
        result = subprocess.run(command, env=subprocess_env(), capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == expected


def test_the_console_script_uses_the_backend_it_is_given(tmp_path):
    """`wgan-keras --backend X` must not import Keras (with the default backend) before it reads X."""
    script = os.path.join(os.path.dirname(sys.executable), "wgan-keras")
    if not os.path.exists(script):
        pytest.skip("the package is not installed in this environment (no wgan-keras script)")
    backend = keras.backend.backend()
    env = subprocess_env()
    env.pop("KERAS_BACKEND")
    out = tmp_path / "run"
    common = ["--epochs", "1", "--steps-per-epoch", "1", "--hidden", "8", "--depth", "1", "--batch-size", "16"]
    result = subprocess.run(
        [script, "--backend", backend, *common, "--verbose", "0", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert f"backend {backend};" in result.stdout


def test_a_backend_other_than_the_loaded_one_is_refused_in_process(tmp_path, capsys):
    other = "jax" if keras.backend.backend() == "tensorflow" else "tensorflow"
    out = tmp_path / "run"
    assert train.main(["--backend", other, "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert f"--backend {other}" in error and keras.backend.backend() in error and "fresh process" in error
    assert not out.exists()


def test_native_standard_error_is_hidden_and_pythons_is_kept():
    # As the command line imports it: the models (Keras, and JAX, which sets TF_CPP_MIN_LOG_LEVEL) come later.
    program = (
        "import os, sys\n"
        "sys.argv = ['-m']\n"
        "from wgan_keras.train import _quiet_native_stderr\n"
        "os.write(2, b'start\\n')\n"
        "with _quiet_native_stderr():\n"
        "    os.write(2, b'native line\\n')\n"
        "    print('python line', file=sys.stderr)\n"
        "os.write(2, b'after\\n')\n"
    )
    env = subprocess_env()
    env.pop("TF_CPP_MIN_LOG_LEVEL")
    hidden = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=120)
    assert hidden.returncode == 0, hidden.stderr
    assert after_start(hidden.stderr) == ["python line", "after"]
    shown = subprocess.run(
        [sys.executable, "-c", program], env=subprocess_env(), capture_output=True, text=True, timeout=120
    )
    assert after_start(shown.stderr) == ["native line", "python line", "after"]


def after_start(stderr):
    lines = stderr.splitlines()
    return lines[lines.index("start") + 1 :]
