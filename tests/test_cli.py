"""The command line refuses bad input at once, in one line, and never mixes or loses runs."""

import csv
import os
import subprocess
import sys

import pytest
from conftest import ROOT, subprocess_env

CLI = [
    sys.executable,
    "-m",
    "wgan_keras.train",
    "--data",
    "8gaussians",
    "--epochs",
    "1",
    "--steps-per-epoch",
    "4",
    "--hidden",
    "16",
    "--depth",
    "1",
    "--batch-size",
    "32",
]


def run(*args, timeout=300):
    return subprocess.run(
        CLI + list(args), env=subprocess_env(), cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--learning-rate", "0"], "--learning-rate: must be a finite number > 0; got '0'"),
        (["--learning-rate", "-1"], "--learning-rate: must be a finite number > 0; got '-1'"),
        (["--learning-rate", "nan"], "--learning-rate: must be a finite number > 0; got 'nan'"),
        (["--clip-value", "0"], "--clip-value: must be a finite number > 0"),
        (["--seed", "99999999999"], "--seed must be in [0, 2147483639]"),
        (["--seed", "4294967295"], "--seed must be in [0, 2147483639]"),
        (["--gp-weight", "inf"], "--gp-weight must be a finite number >= 0"),
        (["--epochs", "0"], "--epochs must be >= 1"),
    ],
)
def test_bad_values_are_refused_in_one_line_before_anything_is_written(tmp_path, args, message):
    out = tmp_path / "out"
    result = run("--out", str(out), *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_an_output_that_is_a_file_or_unwritable_is_refused_in_one_line(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("mine")
    result = run("--out", str(a_file))
    assert result.returncode == 2 and "is a file, not a folder" in result.stderr
    assert a_file.read_text() == "mine"
    read_only = run("--out", "/proc/wgan-keras-test/out")  # a read-only filesystem, even for root
    assert read_only.returncode == 2 and "--out '/proc/wgan-keras-test/out'" in read_only.stderr
    assert "Traceback" not in read_only.stderr


def test_wgan_trains_its_iterations_and_overwrite_starts_afresh_instead_of_appending(tmp_path):
    """The official warm-up reads 100 batches per early iteration; every epoch still has them all.
    Then --overwrite replaces that run: a WGAN-GP history of its own, no WGAN rows left above it."""
    out = str(tmp_path / "run")
    first = run("--out", out, "--model", "wgan", "--epochs", "2", "--steps-per-epoch", "3")
    assert first.returncode == 0, first.stderr
    assert '"generator_iterations": 6' in first.stdout
    again = run("--out", out, "--model", "wgan-gp", "--overwrite")
    assert again.returncode == 0, again.stderr
    with open(os.path.join(out, "history.csv")) as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1 and "gradient_penalty" in rows[0]


def test_a_model_file_the_command_did_not_write_is_never_replaced(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "model.keras").write_text("a user's model")
    result = run("--out", str(out))
    assert result.returncode == 2 and "did not write" in result.stderr
    assert (out / "model.keras").read_text() == "a user's model"
