"""The command line refuses bad input at once, in one line, and never mixes or loses runs."""

import csv
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time

import pytest
from conftest import HAS_TENSORFLOW, ROOT, backed_up_epoch, subprocess_env, toy_command

from wgan_keras import backends

CLI = toy_command(epochs=1, steps_per_epoch=4, hidden=16, depth=1, batch_size=32)


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


# ------------------------------------------------------------------ issue 19
def _heed_ctrl_c():
    # A test run started in the background of a non-interactive shell (`bash .ci/run &`) ignores
    # SIGINT, and a child inherits that: Python then installs no KeyboardInterrupt handler and the
    # run trains on to its end. A terminal's Ctrl-C reaches a process that heeds it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(*args):
    return subprocess.Popen(
        CLI + ["--verbose", "0"] + list(args),
        env=subprocess_env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_heed_ctrl_c,
    )


def wait_for(process, ready, timeout=240):
    deadline = time.time() + timeout
    while time.time() < deadline and process.poll() is None and not ready():
        time.sleep(0.005)
    assert process.poll() is None, "the run ended too early"


@pytest.fixture
def python_heeds_ctrl_c():
    # As in a terminal: Python's own KeyboardInterrupt handler (a test runner's worker may ignore SIGINT).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_during_training_is_not_lost_in_code_that_discards_exceptions(python_heeds_ctrl_c):
    """The interrupt lands in code that swallows it (as native code that calls back may); training still stops."""
    import keras

    from wgan_keras import train

    args = train.parse_args(["--hidden", "16", "--depth", "1", "--batch-size", "32"])
    real, _ = train.real_data(args)
    model = train.build_model(args, (2,))
    steps = []

    class DiscardsExceptions(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            steps.append(batch)
            if batch == 1:
                try:
                    os.kill(os.getpid(), signal.SIGINT)
                    time.sleep(1)  # the handler runs here
                except KeyboardInterrupt:
                    pass

    progress = {"phase": "training", "epoch": 0}
    with train.ctrl_c_between_steps(progress):
        with pytest.raises(KeyboardInterrupt):
            model.fit(
                real,
                epochs=2,
                steps_per_epoch=4,
                verbose=0,
                callbacks=[DiscardsExceptions(), train.progress_logger(progress)],
            )
    assert steps == [0, 1] and progress["epoch"] == 1  # stopped at the end of the step it was pressed in
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Python's handler is back


def test_ctrl_c_outside_training_or_pressed_twice_interrupts_at_once_and_an_ignored_one_stays_ignored(
    python_heeds_ctrl_c,
):
    from wgan_keras import train

    for phase, presses in (("setup", 1), ("writing", 1), ("training", 2)):
        progress = {"phase": phase}
        with train.ctrl_c_between_steps(progress), pytest.raises(KeyboardInterrupt):
            for _ in range(presses):
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.5)
            pytest.fail(f"{phase}: {presses} Ctrl-C did not interrupt")
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    progress = {"phase": "setup"}
    with train.ctrl_c_between_steps(progress):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.5)
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN and "ctrl_c" not in progress


def test_a_second_run_on_the_same_out_is_refused_at_once_naming_the_first(tmp_path):
    """Issue 19 item 2: the first run holds a lock on --out; it trains on, untouched."""
    out = str(tmp_path / "run")
    first = start("--out", out, "--epochs", "30", "--steps-per-epoch", "3")
    try:
        wait_for(first, lambda: backed_up_epoch(out) >= 1)
        first.send_signal(signal.SIGSTOP)  # holds its lock while the others try
        for other in (["--n-critic", "3"], []):  # other settings; the very same command
            second = run("--verbose", "0", "--out", out, "--epochs", "30", "--steps-per-epoch", "3", *other)
            assert second.returncode == 2, second.stderr
            assert f"process {first.pid}" in second.stderr and "Traceback" not in second.stderr
    finally:
        first.send_signal(signal.SIGCONT)
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    with open(os.path.join(out, "run.json")) as handle:
        assert json.load(handle)["settings"]["n_critic"] == 5
    with open(os.path.join(out, "history.csv")) as handle:
        assert [row["epoch"] for row in csv.DictReader(handle)] == [str(i) for i in range(30)]
    with open(os.path.join(out, "metrics.json")) as handle:
        assert json.load(handle)["generator_iterations"] == 90


def test_a_killed_run_releases_its_lock(tmp_path):
    out = str(tmp_path / "run")
    first = start("--out", out, "--epochs", "30", "--steps-per-epoch", "3")
    wait_for(first, lambda: backed_up_epoch(out) >= 1)
    first.send_signal(signal.SIGKILL)
    first.wait()
    again = run("--verbose", "0", "--out", out, "--epochs", "30", "--steps-per-epoch", "3")
    assert again.returncode == 0, again.stderr
    assert '"generator_iterations": 90' in again.stdout


def test_a_run_refused_for_too_little_data_leaves_nothing_and_the_corrected_command_runs(tmp_path):
    """Issue 19 item 3: everything is validated before anything is written into --out."""
    out = tmp_path / "run"
    digits = ["--data", "digits", "--epochs", "1", "--steps-per-epoch", "1", "--verbose", "0", "--out", str(out)]
    refused = run(*digits, "--batch-size", "5000")
    assert refused.returncode == 2, refused.stderr
    assert "--batch-size" in refused.stderr and "Traceback" not in refused.stderr
    assert not out.exists()
    out.mkdir()  # a folder the user made for it stays, empty
    assert run(*digits, "--batch-size", "5000").returncode == 2 and os.listdir(out) == []
    corrected = run(*digits, "--batch-size", "64")
    assert corrected.returncode == 0, corrected.stderr
    assert '"generator_iterations": 1' in corrected.stdout


@pytest.mark.parametrize(
    "value, message",
    [
        ("numpy", "does not support the numpy backend yet"),
        ("foo", "'foo' is not a Keras backend"),
    ],
)
def test_an_unsupported_keras_backend_is_refused_in_one_line(tmp_path, value, message):
    """Issue 19 item 12: no traceback, nothing written; the line names the supported, installed backends."""
    out = tmp_path / "out"
    result = subprocess.run(
        CLI + ["--out", str(out)],
        env=subprocess_env(KERAS_BACKEND=value),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"KERAS_BACKEND={value}" in lines[0] and message in lines[0]
    assert all(name in lines[0] for name in ("tensorflow", "jax", "torch")) and "installed" in lines[0]
    assert not out.exists()


@pytest.mark.skipif(HAS_TENSORFLOW, reason="needs an environment without TensorFlow")
def test_the_tensorflow_backend_where_it_is_not_installed_is_refused_in_one_line(tmp_path):
    out = tmp_path / "out"
    result = run("--out", str(out), "--backend", "tensorflow")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "tensorflow" in lines[0] and "not installed" in lines[0]
    assert "pip install tensorflow" in lines[0] and f"--backend {backends.installed()[0]}" in lines[0]
    assert not out.exists()


def test_ctrl_c_prints_one_line_and_exits_130_and_the_rerun_resumes(tmp_path):
    """Issue 19 item 13: the epoch, the last backup and the command that resumes; no traceback."""
    out = str(tmp_path / "run")
    args = ["--out", out, "--epochs", "60", "--steps-per-epoch", "3"]
    process = start(*args)
    wait_for(process, lambda: backed_up_epoch(out) >= 2)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 130, err
    # One line of ours (TensorFlow's C++ start-up lines may come before it, whatever TF_CPP_MIN_LOG_LEVEL says).
    lines = [line for line in err.splitlines() if "interrupt" in line.lower()]
    assert len(lines) == 1 and err.strip().endswith(lines[0]) and "Traceback" not in err, err
    backup = backed_up_epoch(out)
    assert re.search(r"interrupted in epoch \d+/60", lines[0]) and f"epoch {backup}" in lines[0]
    command = lines[0].split("resume with: ")[-1]
    words = shlex.split(command)
    assert words[:3] == ["python", "-m", "wgan_keras.train"] and "--out" in words
    resumed = subprocess.run(
        [sys.executable] + words[1:], env=subprocess_env(), cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f'"resumed_from_epoch": {backup}' in resumed.stdout and '"generator_iterations": 180' in resumed.stdout
    with open(os.path.join(out, "history.csv")) as handle:
        assert [row["epoch"] for row in csv.DictReader(handle)] == [str(i) for i in range(60)]
