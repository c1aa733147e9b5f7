"""Seeds, save/resume and data parallelism, each checked across fresh processes, on this backend."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import BACKEND, subprocess_env

#: Keras has no data parallelism on PyTorch (wgan_keras.distribute refuses it there: tested below).
needs_data_parallelism = pytest.mark.skipif(BACKEND == "torch", reason="Keras has no data parallelism on PyTorch")

JOB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train_job.py")


def read(out):
    result = np.load(out)
    weights = [result[k] for k in sorted((k for k in result.files if k.startswith("w")), key=lambda k: int(k[1:]))]
    return json.loads(str(result["history"])), int(result["iterations"]), weights


def run_job(out, *args, **env):
    subprocess.run([sys.executable, JOB, str(out), *map(str, args)], check=True, env=subprocess_env(**env), timeout=300)
    return read(out)


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    """GAN, WGAN and WGAN-GP trained in three fresh processes: seeds 5, 5 and 6."""
    folder = tmp_path_factory.mktemp("seeds")
    for run, seed in (("a", 5), ("b", 5), ("c", 6)):
        subprocess.run(
            [sys.executable, JOB, str(folder / run), "--model", "all", "--steps", "3", "--seed", str(seed)],
            check=True,
            env=subprocess_env(),
            timeout=300,
        )
    return folder


@pytest.mark.parametrize("model", ["wgan_gp", "wgan", "gan"])
def test_same_seed_in_two_processes_gives_identical_histories(three_runs, model):
    h1, _, w1 = read(three_runs / f"a_{model}.npz")
    h2, _, w2 = read(three_runs / f"b_{model}.npz")
    h3, _, _ = read(three_runs / f"c_{model}.npz")
    assert h1 == h2  # bit-identical floats
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)
    assert h1 != h3


def test_save_load_resume_equals_uninterrupted_training(tmp_path):
    """The loaded model continues the random streams and the data where the saved one stopped."""
    saved = tmp_path / "run.keras"
    _, it_a, _ = run_job(tmp_path / "first.npz", "--steps", 4, "--save", saved)
    _, it_b, resumed = run_job(tmp_path / "second.npz", "--steps", 4, "--load", saved)
    _, it_c, straight = run_job(tmp_path / "straight.npz", "--steps", 8)
    assert (it_a, it_b, it_c) == (4, 8, 8)
    for a, b in zip(resumed, straight):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


@needs_data_parallelism
def test_two_replica_data_parallelism_matches_one_replica(tmp_path):
    # TensorFlow turns XLA off under tf.distribute, and XLA draws other
    # random numbers (TF's stateless RNG picks another algorithm): compare
    # graph mode there. SGD, so that the weights show the scale of the summed
    # gradients (Adam would also turn the replicas' different rounding of
    # near-zero gradients into steps of the learning rate's size).
    args = ("--steps", 3, "--optimizer", "sgd") + (("--jit", "false") if BACKEND == "tensorflow" else ())
    h1, _, one = run_job(tmp_path / "one.npz", *args, "--replicas", 1)
    h2, _, two = run_job(tmp_path / "two.npz", *args, "--replicas", 2)
    for key in h1:
        np.testing.assert_allclose(h2[key], h1[key], rtol=1e-4, atol=1e-5)
    for a, b in zip(one, two):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@needs_data_parallelism
def test_a_batch_that_replicas_cannot_share_equally_is_refused_before_training(tmp_path):
    command = [sys.executable, JOB, str(tmp_path / "x.npz"), "--replicas", "2", "--batch", "33", "--jit", "false"]
    result = subprocess.run(command, env=subprocess_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "batch size 33 must be divisible by the number of replicas (2)" in result.stderr


@pytest.mark.skipif(BACKEND != "torch", reason="a PyTorch-backend test")
def test_on_torch_a_strategy_for_several_devices_is_refused_naming_what_works():
    import wgan_keras as wk

    for name in ("mirrored", "multi_worker", "tpu"):
        with pytest.raises(ValueError, match=f"strategy={name!r} is not available on the torch backend") as info:
            wk.distribute.get_strategy(name)
        assert "jax" in str(info.value) and "'default'" in str(info.value)
    assert wk.distribute.get_strategy("auto").num_replicas_in_sync == 1


@pytest.mark.skipif(BACKEND != "torch", reason="a PyTorch-backend test")
def test_on_torch_jit_compile_true_is_refused_at_compile_and_auto_is_eager():
    import wgan_keras as wk

    def model():
        return wk.WGANGP(wk.nets.mlp_generator(2, (2,), hidden=8, depth=1), wk.nets.mlp_critic((2,), hidden=8, depth=1))

    with pytest.raises(ValueError, match=r"jit_compile=True \(torch.compile\) is not supported"):
        model().compile(jit_compile=True)
    eager = model()
    eager.compile()
    assert eager.jit_compile is False
