"""Crash safety: a real SIGKILL mid-epoch, torn writes, and multi-worker training."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

import keras
import wgan_keras as wk

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = [sys.executable, "-m", "wgan_keras.train", "--data", "8gaussians", "--epochs", "5",
       "--steps-per-epoch", "15", "--hidden", "32", "--depth", "2", "--batch-size", "64", "--verbose", "0"]


def env():
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0",
                PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))


def model_weights(path):
    model = keras.models.load_model(path)
    return [v.numpy() for v in model.generator.weights + model.critic.weights], model


def test_sigkill_mid_epoch_then_the_same_command_resumes_to_the_same_weights(tmp_path):
    straight, killed = str(tmp_path / "straight"), str(tmp_path / "killed")
    subprocess.run(CLI + ["--out", straight], check=True, env=env(), cwd=ROOT, timeout=300)
    process = subprocess.Popen(CLI + ["--out", killed], env=env(), cwd=ROOT)
    metadata = os.path.join(killed, "backup", "backup.json")
    deadline = time.time() + 240
    while time.time() < deadline and process.poll() is None:
        try:
            with open(metadata) as handle:
                if json.load(handle)["epoch"] >= 2:
                    break
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    assert process.poll() is None, "the run ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not os.path.exists(os.path.join(killed, "model.keras"))
    subprocess.run(CLI + ["--out", killed], check=True, env=env(), cwd=ROOT, timeout=300)
    with open(os.path.join(killed, "metrics.json")) as handle:
        summary = json.load(handle)
    assert summary["resumed_from_epoch"] >= 2 and summary["generator_iterations"] == 75
    a, _ = model_weights(os.path.join(straight, "model.keras"))
    b, _ = model_weights(os.path.join(killed, "model.keras"))
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-6)
    assert not os.path.exists(os.path.join(killed, "backup"))  # removed once complete
    # The finished model is never overwritten without --overwrite.
    before = os.path.getmtime(os.path.join(killed, "model.keras"))
    again = subprocess.run(CLI + ["--out", killed], env=env(), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "--overwrite" in again.stderr
    assert os.path.getmtime(os.path.join(killed, "model.keras")) == before


def small_model(seed=0):
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = wk.WGANGP(
        wk.nets.mlp_generator(2, (2,), hidden=8, depth=1), wk.nets.mlp_critic((2,), hidden=8, depth=1), seed=seed
    )
    model.compile(jit_compile=False)
    return model


def one_epoch(model, backup):
    import tensorflow as tf

    data = np.random.default_rng(0).normal(size=(320, 2)).astype("float32")
    model.fit(tf.data.Dataset.from_tensor_slices(data).batch(32, drop_remainder=True), epochs=backup_epochs(backup) + 1,
              callbacks=[backup], verbose=0)


def backup_epochs(backup):
    metadata = backup.read_metadata()
    return metadata["epoch"] if metadata else 0


def test_a_kill_during_a_backup_write_leaves_the_previous_backup_in_force(tmp_path, monkeypatch):
    folder = str(tmp_path / "backup")
    one_epoch(small_model(), wk.backup.AtomicBackupAndRestore(folder, delete_on_success=False))
    good = wk.backup.AtomicBackupAndRestore(folder).read_metadata()
    assert good["epoch"] == 1

    def killed_before_rename(src, dst):
        raise KeyboardInterrupt("killed while writing")

    monkeypatch.setattr(wk.backup.os, "replace", killed_before_rename)
    with pytest.raises(KeyboardInterrupt):
        one_epoch(small_model(), wk.backup.AtomicBackupAndRestore(folder, delete_on_success=False))
    monkeypatch.undo()
    # The torn write is only a .partial file: the metadata still names epoch 1.
    assert any(name.endswith(".partial.weights.h5") for name in os.listdir(folder))
    assert wk.backup.AtomicBackupAndRestore(folder).read_metadata() == good


def test_a_backup_whose_checksum_does_not_match_is_never_loaded(tmp_path):
    folder = str(tmp_path / "backup")
    one_epoch(small_model(), wk.backup.AtomicBackupAndRestore(folder, delete_on_success=False))
    metadata = wk.backup.AtomicBackupAndRestore(folder).read_metadata()
    path = os.path.join(folder, metadata["weights"])
    with open(path, "r+b") as handle:  # a torn or corrupted file
        handle.truncate(os.path.getsize(path) // 2)
    callback = wk.backup.AtomicBackupAndRestore(folder)
    with pytest.warns(UserWarning, match="checksum"):
        assert callback.read_metadata() is None
    model = small_model()
    with pytest.warns(UserWarning, match="checksum"):
        model.fit(np.zeros((64, 2), "float32"), batch_size=32, epochs=1, callbacks=[callback], verbose=0)
    assert callback.restored_epoch is None  # started afresh instead of loading it


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_multi_worker_mirrored_strategy_matches_one_worker(tmp_path):
    job = os.path.join(ROOT, "tests", "train_job.py")
    args = ["--steps", "3", "--jit", "false", "--optimizer", "sgd"]  # see test_reproducibility
    subprocess.run([sys.executable, job, str(tmp_path / "single.npz"), *args], check=True, env=env(), timeout=300)
    workers = [f"localhost:{p}" for p in free_ports(2)]
    processes = []
    for index in range(2):
        config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        processes.append(subprocess.Popen(
            [sys.executable, job, str(tmp_path / f"worker{index}.npz"), *args],
            env=dict(env(), TF_CONFIG=json.dumps(config)),
        ))
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
