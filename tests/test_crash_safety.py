"""Crash safety: real SIGKILLs of the command line, torn and corrupted backups, multi-worker training."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
from conftest import ROOT, subprocess_env, tensorflow_only

import wgan_keras as wk

CLI = [
    sys.executable,
    "-m",
    "wgan_keras.train",
    "--data",
    "8gaussians",
    "--epochs",
    "4",
    "--steps-per-epoch",
    "12",
    "--hidden",
    "32",
    "--depth",
    "2",
    "--batch-size",
    "64",
    "--verbose",
    "0",
]


def run_cli(*args, check=True, timeout=300):
    result = subprocess.run(
        CLI + list(args), env=subprocess_env(), cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}: {result.stderr[-2000:]}")
    return result


def kill_when(args, ready, timeout=240):
    """Start the command line and SIGKILL it as soon as ``ready()`` holds."""
    process = subprocess.Popen(CLI + list(args), env=subprocess_env(), cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.time() + timeout
    while time.time() < deadline and process.poll() is None:
        if ready():
            break
        time.sleep(0.005)
    assert process.poll() is None, "the run ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()


def backed_up_epoch(out):
    try:
        with open(os.path.join(out, "backup", "backup.json")) as handle:
            return json.load(handle)["epoch"]
    except (OSError, ValueError, KeyError):
        return 0


def model_weights(path):
    model = keras.models.load_model(path)
    return [v.numpy() for v in model.generator.weights + model.critic.weights], model


def assert_same_model(a, b):
    for x, y in zip(model_weights(a)[0], model_weights(b)[0]):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-6)


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """The uninterrupted run every killed run must reproduce."""
    out = str(tmp_path_factory.mktemp("cli") / "straight")
    run_cli("--out", out)
    return out


def test_sigkill_mid_epoch_then_the_same_command_resumes_to_the_same_weights(tmp_path, straight):
    killed = str(tmp_path / "killed")
    kill_when(["--out", killed], lambda: backed_up_epoch(killed) >= 2)
    assert not os.path.exists(os.path.join(killed, "model.keras"))
    # Settings that differ from the unfinished run's are refused, each named with both values.
    refused = run_cli("--out", killed, "--learning-rate", "0.01", "--n-critic", "3", check=False)
    assert refused.returncode == 2
    assert "--learning-rate: None in the run, 0.01 now" in refused.stderr
    assert "--n-critic: 5 in the run, 3 now" in refused.stderr and "--overwrite" in refused.stderr
    run_cli("--out", killed)
    with open(os.path.join(killed, "metrics.json")) as handle:
        summary = json.load(handle)
    assert summary["resumed_from_epoch"] >= 2 and summary["generator_iterations"] == 48
    assert_same_model(os.path.join(straight, "model.keras"), os.path.join(killed, "model.keras"))
    assert not os.path.exists(os.path.join(killed, "backup"))  # removed once complete
    with open(os.path.join(killed, "history.csv")) as handle:
        assert [line.split(",")[0] for line in handle.read().split()[1:]] == ["0", "1", "2", "3"]
    # The finished run is never overwritten without --overwrite.
    before = os.path.getmtime(os.path.join(killed, "model.keras"))
    again = run_cli("--out", killed, check=False)
    assert again.returncode == 2 and "--overwrite" in again.stderr
    assert os.path.getmtime(os.path.join(killed, "model.keras")) == before


@pytest.mark.parametrize("artefact", ["model.keras.partial.keras", "model.keras"])
def test_a_kill_while_the_files_are_written_loses_nothing(tmp_path, straight, artefact):
    """Killed while model.keras is written, or as soon as it appears (the evaluation, the figure and
    metrics.json still to come): the same command finishes the run."""
    out = str(tmp_path / "run")
    kill_when(["--out", out], lambda: os.path.exists(os.path.join(out, artefact)))
    assert not os.path.exists(os.path.join(out, "metrics.json"))
    if os.path.exists(os.path.join(out, "model.keras")):
        model_weights(os.path.join(out, "model.keras"))  # complete, never a 0-byte file
    assert backed_up_epoch(out) == 4  # the backup outlives the unfinished files
    finished = run_cli("--out", out)
    assert '"generator_iterations": 48' in finished.stdout
    assert_same_model(os.path.join(straight, "model.keras"), os.path.join(out, "model.keras"))
    assert {"metrics.json", "samples.png", "history.csv", "model.keras"} <= set(os.listdir(out))
    assert not os.path.exists(os.path.join(out, "backup"))


def small_model(seed=0):
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = wk.WGANGP(
        wk.nets.mlp_generator(2, (2,), hidden=8, depth=1), wk.nets.mlp_critic((2,), hidden=8, depth=1), seed=seed
    )
    model.compile(jit_compile=False)
    return model


DATA = np.random.default_rng(0).normal(size=(320, 2)).astype("float32")


def train_epochs(model, backup, epochs):
    model.fit(DATA, batch_size=32, epochs=epochs, callbacks=[backup], verbose=0)


def test_a_kill_during_a_backup_write_leaves_the_previous_backup_in_force(tmp_path, monkeypatch):
    folder = str(tmp_path / "backup")
    train_epochs(small_model(), wk.backup.AtomicBackupAndRestore(folder, delete_on_success=False), 1)
    good = wk.backup.AtomicBackupAndRestore(folder).read_metadata()
    assert good["epoch"] == 1

    def killed_before_rename(src, dst):
        raise KeyboardInterrupt("killed while writing")

    monkeypatch.setattr(wk.backup.os, "replace", killed_before_rename)
    with pytest.raises(KeyboardInterrupt):
        train_epochs(small_model(), wk.backup.AtomicBackupAndRestore(folder, delete_on_success=False), 2)
    monkeypatch.undo()
    # The torn write never replaced anything: the metadata still names epoch 1.
    assert wk.backup.AtomicBackupAndRestore(folder).read_metadata() == good


def corrupt(path):
    with open(path, "r+b") as handle:  # a torn or corrupted file
        handle.truncate(os.path.getsize(path) // 2)


def test_a_damaged_latest_backup_falls_back_to_the_previous_one(tmp_path):
    folder = str(tmp_path / "backup")
    train_epochs(small_model(), wk.backup.AtomicBackupAndRestore(folder, delete_on_success=False), 3)
    latest = wk.backup.AtomicBackupAndRestore(folder).read_metadata()
    assert latest["epoch"] == 3
    corrupt(os.path.join(folder, latest["weights"]))
    callback = wk.backup.AtomicBackupAndRestore(folder, delete_on_success=False)
    with pytest.warns(UserWarning, match="checksum"):
        assert callback.read_metadata()["epoch"] == 2
    model = small_model()
    with pytest.warns(UserWarning, match="checksum"):
        history = model.fit(DATA, batch_size=32, epochs=4, callbacks=[callback], verbose=0)
    assert callback.restored_epoch == 2 and len(history.history["critic_loss"]) == 2
    assert int(model.generator_iterations.numpy()) == 4 * 2  # 2 iterations per epoch, none lost


def test_when_no_backup_is_usable_training_stops_instead_of_starting_over(tmp_path):
    folder = str(tmp_path / "backup")
    train_epochs(small_model(), wk.backup.AtomicBackupAndRestore(folder, delete_on_success=False), 2)
    with open(os.path.join(folder, "backup.json"), "w") as handle:
        handle.write("garbage")
    corrupt(os.path.join(folder, wk.backup.AtomicBackupAndRestore(folder).read_metadata()["weights"]))
    before = sorted(os.listdir(folder))
    model = small_model()
    with pytest.warns(UserWarning), pytest.raises(wk.backup.BackupUnusable, match="remove that folder"):
        model.fit(DATA, batch_size=32, epochs=3, callbacks=[wk.backup.AtomicBackupAndRestore(folder)], verbose=0)
    assert int(model.generator_iterations.numpy()) == 0
    assert sorted(os.listdir(folder)) == before  # nothing overwritten


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@tensorflow_only
def test_tensorflow_multi_worker_mirrored_strategy_matches_one_worker(tmp_path):
    job = os.path.join(ROOT, "tests", "train_job.py")
    args = ["--steps", "3", "--jit", "false", "--optimizer", "sgd"]  # see test_reproducibility
    subprocess.run(
        [sys.executable, job, str(tmp_path / "single.npz"), *args], check=True, env=subprocess_env(), timeout=300
    )
    workers = [f"localhost:{p}" for p in free_ports(2)]
    processes = []
    for index in range(2):
        config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        processes.append(
            subprocess.Popen(
                [sys.executable, job, str(tmp_path / f"worker{index}.npz"), *args],
                env=subprocess_env(TF_CONFIG=json.dumps(config)),
            )
        )
    for process in processes:
        assert process.wait(timeout=300) == 0
    single = np.load(tmp_path / "single.npz")
    for index in range(2):
        worker = np.load(tmp_path / f"worker{index}.npz")
        worker_history, single_history = (json.loads(str(r["history"])) for r in (worker, single))
        assert worker_history.keys() == single_history.keys()
        for key in single_history:
            np.testing.assert_allclose(worker_history[key], single_history[key], rtol=1e-4, atol=1e-5)
        for key in (k for k in single.files if k.startswith("w")):
            np.testing.assert_allclose(worker[key], single[key], rtol=1e-4, atol=1e-5)
