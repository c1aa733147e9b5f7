"""Crash safety: real SIGKILLs of the command line, torn and corrupted backups, multi-worker training."""

import glob
import importlib.util
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
from conftest import ROOT, backed_up_epoch, jax_only, subprocess_env, tensorflow_only, toy_command

import wgan_keras as wk

CLI = toy_command(epochs=4, steps_per_epoch=12, hidden=32, depth=2, batch_size=64) + ["--verbose", "0"]


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


@pytest.mark.parametrize("artefact", ["model.keras.partial-*.keras", "model.keras"])
def test_a_kill_while_the_files_are_written_loses_nothing(tmp_path, straight, artefact):
    """Killed while model.keras is written (its temporary name carries the process id), or as soon as it
    appears (the evaluation, the figure and metrics.json still to come): the same command finishes the run."""
    out = str(tmp_path / "run")
    kill_when(["--out", out], lambda: bool(glob.glob(os.path.join(out, artefact))))
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
    assert_workers_match_one(tmp_path, 2)


@jax_only
def test_jax_data_parallelism_across_two_processes_matches_one_process(tmp_path):
    """Two local processes, one host CPU device each, keras.distribution.initialize and DataParallel over both."""
    job = os.path.join(ROOT, "tests", "train_job.py")
    args = ["--steps", "3", "--optimizer", "sgd"]
    subprocess.run(
        [sys.executable, job, str(tmp_path / "single.npz"), *args], check=True, env=subprocess_env(), timeout=300
    )
    (port,) = free_ports(1)
    processes = []
    for index in range(2):
        env = subprocess_env(
            KERAS_DISTRIBUTION_JOB_ADDRESSES=f"localhost:{port}",
            KERAS_DISTRIBUTION_NUM_PROCESSES="2",
            KERAS_DISTRIBUTION_PROCESS_ID=str(index),
        )
        processes.append(subprocess.Popen([sys.executable, job, str(tmp_path / f"worker{index}.npz"), *args], env=env))
    for process in processes:
        assert process.wait(timeout=300) == 0
    assert_workers_match_one(tmp_path, 2)


def assert_workers_match_one(tmp_path, workers):
    """Every worker's history and weights equal the one-process run's (float32 rounding)."""
    single = np.load(tmp_path / "single.npz")
    for index in range(workers):
        worker = np.load(tmp_path / f"worker{index}.npz")
        worker_history, single_history = (json.loads(str(r["history"])) for r in (worker, single))
        assert worker_history.keys() == single_history.keys()
        for key in single_history:
            np.testing.assert_allclose(worker_history[key], single_history[key], rtol=1e-4, atol=1e-5)
        for key in (k for k in single.files if k.startswith("w")):
            np.testing.assert_allclose(worker[key], single[key], rtol=1e-4, atol=1e-5)


# ------------------------------------------- the command line, run in this process (issue 19)
TINY = ["--data", "8gaussians", "--hidden", "16", "--depth", "1", "--batch-size", "32", "--steps-per-epoch", "3"]
TINY += ["--verbose", "0"]


def train_in_process(monkeypatch, capsys, *args, interrupt_after=None):
    """``python -m wgan_keras.train TINY args`` in this process: ``(exit code, stdout, stderr)``.

    ``interrupt_after=k``: Ctrl-C right after epoch k's backup is written (the state a kill leaves then).
    """
    from wgan_keras import train

    monkeypatch.setenv("KERAS_BACKEND", keras.backend.backend())  # restored if --backend sets it
    if interrupt_after is not None:
        original = wk.backup.AtomicBackupAndRestore.on_epoch_end

        def then_interrupted(self, epoch, logs=None):
            original(self, epoch, logs)
            if epoch + 1 == interrupt_after:
                raise KeyboardInterrupt

        monkeypatch.setattr(wk.backup.AtomicBackupAndRestore, "on_epoch_end", then_interrupted)
    if capsys is not None:
        capsys.readouterr()
    try:
        code = train.main(TINY + list(args))
    except KeyboardInterrupt:
        code = "KeyboardInterrupt"  # the old command line let it through
    finally:
        monkeypatch.undo()
    captured = capsys.readouterr() if capsys is not None else None
    return code, captured and captured.out, captured and captured.err


def history_epochs(out):
    with open(os.path.join(out, "history.csv")) as handle:
        return [line.split(",")[0] for line in handle.read().split()[1:]]


@pytest.fixture(scope="module")
def straight_tiny(tmp_path_factory):
    """The uninterrupted tiny run (4 epochs of 3 iterations), trained in this process."""
    out = str(tmp_path_factory.mktemp("tiny") / "straight")
    with pytest.MonkeyPatch.context() as monkeypatch:
        code, _, _ = train_in_process(monkeypatch, None, "--epochs", "4", "--out", out)
    assert code == 0
    return out


def test_a_run_without_its_run_json_refuses_other_settings_and_resumes_the_same(
    tmp_path, monkeypatch, capsys, straight_tiny
):
    """Issue 19 item 4: the backup carries the settings it was made with."""
    out = str(tmp_path / "run")
    code, _, _ = train_in_process(monkeypatch, capsys, "--epochs", "4", "--out", out, interrupt_after=2)
    assert code in (130, "KeyboardInterrupt") and backed_up_epoch(out) == 2
    os.remove(os.path.join(out, "run.json"))
    code, _, err = train_in_process(monkeypatch, capsys, "--epochs", "4", "--out", out, "--n-critic", "3")
    assert code == 2 and "--n-critic: 5 in the run, 3 now" in err and "Traceback" not in err
    code, _, err = train_in_process(monkeypatch, capsys, "--epochs", "4", "--out", out, "--hidden", "32")
    assert code == 2 and "--hidden: 16 in the run, 32 now" in err
    code, out_text, err = train_in_process(monkeypatch, capsys, "--epochs", "4", "--out", out)
    assert code == 0, err
    assert '"resumed_from_epoch": 2' in out_text and '"generator_iterations": 12' in out_text
    assert_same_model(os.path.join(straight_tiny, "model.keras"), os.path.join(out, "model.keras"))
    with open(os.path.join(out, "run.json")) as handle:
        assert json.load(handle)["settings"]["n_critic"] == 5
    assert history_epochs(out) == ["0", "1", "2", "3"]


def test_a_backup_that_does_not_record_its_settings_and_no_run_json_is_refused(tmp_path, monkeypatch, capsys):
    """Issue 19 item 4: when the settings cannot be read, the check refuses instead of guessing."""
    out = str(tmp_path / "run")
    train_in_process(monkeypatch, capsys, "--epochs", "4", "--out", out, interrupt_after=1)
    metadata_path = os.path.join(out, "backup", "backup.json")
    with open(metadata_path) as handle:
        metadata = json.load(handle)
    metadata.pop("run", None)  # a backup written before backups recorded their settings
    with open(metadata_path, "w") as handle:
        json.dump(metadata, handle)
    os.remove(os.path.join(out, "run.json"))
    before = sorted(os.listdir(out))
    code, _, err = train_in_process(monkeypatch, capsys, "--epochs", "4", "--out", out)
    assert code == 2 and "run.json" in err and "--overwrite" in err and "Traceback" not in err
    assert sorted(os.listdir(out)) == before and backed_up_epoch(out) == 1


@pytest.mark.parametrize("damage", ["all", "one row"])
def test_a_damaged_history_is_reported_and_what_can_be_read_is_kept(tmp_path, monkeypatch, capsys, damage):
    """Issue 19 item 5: never silently drop the epochs before the backup; keep the damaged file too."""
    out = str(tmp_path / "run")
    train_in_process(monkeypatch, capsys, "--epochs", "4", "--out", out, interrupt_after=2)
    path = os.path.join(out, "history.csv")
    with open(path) as handle:
        lines = handle.read().splitlines()
    damaged = "\x00garbage \xff\n" if damage == "all" else "\n".join([lines[0], lines[1], "#1,x,y"]) + "\n"
    with open(path, "w") as handle:
        handle.write(damaged)
    code, _, err = train_in_process(monkeypatch, capsys, "--epochs", "4", "--out", out)
    assert code == 0, err
    kept = [] if damage == "all" else ["0"]
    missing = "0, 1" if damage == "all" else "1"
    assert "history.csv" in err and f"epochs {missing}" in err
    assert history_epochs(out) == kept + ["2", "3"]
    with open(path + ".damaged") as handle:
        assert handle.read() == damaged  # nothing the run wrote is lost


def test_a_full_disk_while_writing_the_figure_names_the_file_and_the_run_stays_resumable(tmp_path, monkeypatch, capsys):
    """Issue 19 item 14: one line naming the file and the space it needs; the same command finishes the run."""
    import errno

    import matplotlib.figure

    out = str(tmp_path / "run")
    savefig = matplotlib.figure.Figure.savefig

    def disk_full(self, target, *args, **kwargs):
        if isinstance(target, (str, os.PathLike)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(target))
        return savefig(self, target, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", disk_full)
    from wgan_keras import train

    try:
        code = train.main(TINY + ["--epochs", "2", "--out", out])
    except OSError as error:
        code = error
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert code == 1, code
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "samples.png" in lines[0]
    assert re.search(r"needs [\d.]+ [kMG]?B", lines[0]) and "free" in lines[0]
    assert not any(name.startswith("samples.png") for name in os.listdir(out))
    code, out_text, err = train_in_process(monkeypatch, capsys, "--epochs", "2", "--out", out)
    assert code == 0, err
    assert '"resumed_from_epoch": 2' in out_text and '"generator_iterations": 6' in out_text
    assert os.path.exists(os.path.join(out, "samples.png")) and history_epochs(out) == ["0", "1"]


def test_a_full_disk_while_writing_a_backup_names_it_and_the_run_resumes(tmp_path, monkeypatch, capsys):
    import errno

    out = str(tmp_path / "run")
    base = next(c for c in wk.GAN.__mro__ if "save_weights" in vars(c))
    save_weights = base.save_weights

    def disk_full_at_epoch_2(self, path, *args, **kwargs):
        if "epoch-000002" in os.fspath(path):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(path))
        return save_weights(self, path, *args, **kwargs)

    monkeypatch.setattr(base, "save_weights", disk_full_at_epoch_2)
    from wgan_keras import train

    try:
        code = train.main(TINY + ["--epochs", "3", "--out", out])
    except OSError as error:
        code = error
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert code == 1, code
    assert "epoch-000002.weights.h5" in err and "free" in err and "Traceback" not in err
    assert backed_up_epoch(out) == 1
    code, out_text, err = train_in_process(monkeypatch, capsys, "--epochs", "3", "--out", out)
    assert code == 0 and '"resumed_from_epoch": 1' in out_text and '"generator_iterations": 9' in out_text


#: Another backend, installed here where one is (the TensorFlow environment also holds JAX).
OTHER_BACKEND = next(
    (name for name in wk.backends.SUPPORTED if name != keras.backend.backend() and importlib.util.find_spec(name)),
    {"tensorflow": "jax", "jax": "tensorflow", "torch": "tensorflow"}[keras.backend.backend()],
)


@pytest.mark.skipif(importlib.util.find_spec(OTHER_BACKEND) is None, reason="needs both backends installed")
def test_resuming_on_the_other_backend_is_refused_naming_both_and_the_command_that_resumes(
    tmp_path, monkeypatch, capsys, straight_tiny
):
    """Issue 19 item 1: a run is never continued on another backend (the numbers differ), never silently."""
    out = str(tmp_path / "run")
    backend = keras.backend.backend()
    train_in_process(monkeypatch, capsys, "--epochs", "4", "--out", out, interrupt_after=2)
    with open(os.path.join(out, "history.csv")) as handle:
        history = handle.read()
    other = run_cli_tiny("--epochs", "4", "--out", out, "--backend", OTHER_BACKEND)
    assert other.returncode == 2, other.stderr
    assert backend in other.stderr and OTHER_BACKEND in other.stderr and "Traceback" not in other.stderr
    with open(os.path.join(out, "run.json")) as handle:
        assert json.load(handle)["backend"] == backend
    with open(os.path.join(out, "history.csv")) as handle:
        assert handle.read() == history
    assert backed_up_epoch(out) == 2
    # The message ends with the command that resumes on the run's own backend: it does.
    command = other.stderr.strip().splitlines()[-1].split("resume it with: ")[-1]
    words = shlex.split(command)
    assert words[:3] == ["python", "-m", "wgan_keras.train"] and words[-2:] == ["--backend", backend]
    code, out_text, err = train_in_process(monkeypatch, capsys, *words[3 + len(TINY) :])
    assert code == 0, err
    assert '"resumed_from_epoch": 2' in out_text
    assert_same_model(os.path.join(straight_tiny, "model.keras"), os.path.join(out, "model.keras"))


def run_cli_tiny(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "wgan_keras.train", *TINY, *args],
        env=env or subprocess_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_two_processes_writing_one_file_use_their_own_temporary_names(tmp_path, monkeypatch):
    """Issue 19 item 2: another process writing the same file meanwhile never takes this one's partial file."""
    path = str(tmp_path / "run.json")
    pid = os.getpid()

    def meanwhile_another_process_writes(partial):
        with open(partial, "w") as handle:
            handle.write('{"mine": true}')
        monkeypatch.setattr(wk.backup.os, "getpid", lambda: pid + 1)
        try:
            wk.backup.write_json(path, {"theirs": True})
        finally:
            monkeypatch.undo()

    wk.backup.write_atomically(path, meanwhile_another_process_writes)
    with open(path) as handle:
        assert json.load(handle) == {"mine": True}  # the last rename wins, whole
    assert os.listdir(tmp_path) == ["run.json"]
