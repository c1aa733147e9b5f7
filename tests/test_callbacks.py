"""wgan_keras.callbacks on a tiny stand-in model (no dependency on the real
models or on wgan_keras.metrics): fixed-noise snapshots, files and overwrite
protection, the model's random state left alone, metrics in the History at
the right steps."""

import csv
import glob
import os

import matplotlib

matplotlib.use("agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from conftest import BACKEND, needs_tensorflow  # noqa: E402
from keras import ops  # noqa: E402

from wgan_keras import callbacks, plots  # noqa: E402

LATENT = 3
DATA = np.zeros((8, 2), dtype="float32")  # batch_size 2 -> 4 steps per epoch


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


class StandIn(keras.Model):
    """Just the contract the callbacks rely on: generator, critic, latent_dim,
    generate(n, seed); train_step counts steps and may nudge the generator."""

    def __init__(self, sample_shape=(4, 4, 1), counter=False, move_generator=False):
        super().__init__()
        size = int(np.prod(sample_shape))
        noise = keras.Input((LATENT,))
        out = keras.layers.Dense(size, activation="tanh")(noise)
        self.generator = keras.Model(noise, keras.layers.Reshape(sample_shape)(out))
        samples = keras.Input(sample_shape)
        self.critic = keras.Model(samples, keras.layers.Dense(1)(keras.layers.Flatten()(samples)))
        self.latent_dim = LATENT
        self.sample_seed = keras.random.SeedGenerator(1)
        self.steps_done = keras.Variable(0, dtype="int64", trainable=False, name="steps_done")
        if counter:
            self.generator_iterations = keras.Variable(0, dtype="int64", trainable=False, name="gen_it")
        self.move_generator = move_generator
        self.built = True

    def train_step(self, *args):
        if BACKEND != "jax":
            return self._step()
        # JAX: the same stateful step, run statelessly on the state Keras passes in.
        state, _ = args
        groups = [
            self.trainable_variables,
            self.non_trainable_variables,
            self.optimizer.variables,
            self.metrics_variables,
        ]
        mapping = [(v, x) for group, values in zip(groups, state) for v, x in zip(group, values)]
        with keras.StatelessScope(state_mapping=mapping) as scope:
            logs = self._step()
        return logs, tuple([scope.get_current_value(v) for v in group] for group in groups)

    def _step(self):
        self.steps_done.assign_add(1)
        if hasattr(self, "generator_iterations"):
            self.generator_iterations.assign_add(1)
        if self.move_generator:
            for variable in self.generator.trainable_variables:
                variable.assign_add(ops.full(variable.shape, 0.05))
        return {"critic_loss": ops.cast(self.steps_done, "float32")}

    def generate(self, n, seed=None):
        source = self.sample_seed if seed is None else keras.random.SeedGenerator(int(seed))
        noise = keras.random.normal((n, self.latent_dim), seed=source)
        return ops.convert_to_numpy(self.generator(noise, training=False))


def read_events(folder):
    """(step, tag, plugin, value) of every summary in a TensorBoard folder."""
    import tensorflow as tf
    from tensorflow.core.util import event_pb2

    found = []
    for path in sorted(glob.glob(os.path.join(str(folder), "events.out.tfevents.*"))):
        for record in tf.data.TFRecordDataset(path):
            event = event_pb2.Event.FromString(record.numpy())
            for value in event.summary.value:
                found.append(
                    (event.step, value.tag, value.metadata.plugin_data.plugin_name, tf.make_ndarray(value.tensor))
                )
    return found


def make_model(**kwargs):
    model = StandIn(**kwargs)
    model.compile(optimizer="sgd", jit_compile=False)
    return model


def fit(model, callbacks_, epochs=2, **kwargs):
    # No shuffling: Keras shuffles arrays with numpy's global generator on some backends.
    return model.fit(DATA, batch_size=2, epochs=epochs, callbacks=callbacks_, verbose=0, shuffle=False, **kwargs)


# ---------------------------------------------------------- SampleMonitor
def test_sample_monitor_same_noise_same_grid_and_files(tmp_path):
    model = make_model()
    monitor = callbacks.SampleMonitor(every_n_steps=2, n_samples=4, output_dir=tmp_path, show_inline=False)
    fit(model, [monitor])
    assert [step for step, _ in monitor.snapshots] == [2, 4, 6, 8]
    first = monitor.snapshots[0][1]
    for _, array in monitor.snapshots[1:]:
        np.testing.assert_array_equal(array, first)  # weights unchanged -> identical grids
    expected_noise = np.random.default_rng(0).standard_normal((4, LATENT)).astype("float32")
    np.testing.assert_array_equal(monitor.noise, expected_noise)
    samples = ops.convert_to_numpy(model.generator(expected_noise, training=False))
    np.testing.assert_array_equal(first, plots.image_grid_array(samples))
    names = sorted(os.listdir(tmp_path))
    assert names == [
        "samples_epoch_0001_step_0000002.png",
        "samples_epoch_0001_step_0000004.png",
        "samples_epoch_0002_step_0000006.png",
        "samples_epoch_0002_step_0000008.png",
    ]
    assert monitor.files == [str(tmp_path / n) for n in names]


def test_sample_monitor_reuses_noise_while_generator_changes(tmp_path):
    model = make_model(move_generator=True)
    monitor = callbacks.SampleMonitor(n_samples=4, output_dir=tmp_path, show_inline=False)
    fit(model, [monitor])
    noise = monitor.noise
    # Default: one snapshot per epoch.
    assert [step for step, _ in monitor.snapshots] == [4, 8]
    assert not np.array_equal(monitor.snapshots[0][1], monitor.snapshots[1][1])
    fit(model, [monitor], epochs=1)
    assert monitor.noise is noise
    assert [step for step, _ in monitor.snapshots] == [4, 8, 12]
    latest = ops.convert_to_numpy(model.generator(noise, training=False))
    np.testing.assert_array_equal(monitor.snapshots[-1][1], plots.image_grid_array(latest))


def test_sample_monitor_leaves_random_state_alone(tmp_path):
    model = make_model()
    seed_state = model.sample_seed.state.numpy().copy()
    numpy_state = np.random.get_state()[1].copy()
    monitor = callbacks.SampleMonitor(every_n_steps=1, n_samples=4, output_dir=None, show_inline=False)
    fit(model, [monitor], epochs=1)
    assert len(monitor.snapshots) == 4
    np.testing.assert_array_equal(model.sample_seed.state.numpy(), seed_state)
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)
    # The model's own stream gives what a fresh, identical stream gives.
    reference = keras.random.SeedGenerator(1)
    np.testing.assert_allclose(
        model.generate(5),
        ops.convert_to_numpy(model.generator(keras.random.normal((5, LATENT), seed=reference))),
    )


def test_sample_monitor_refuses_to_overwrite(tmp_path):
    existing = tmp_path / "samples_epoch_0001_step_0000002.png"
    existing.write_bytes(b"old")
    (tmp_path / "notes.txt").write_text("unrelated files do not matter")
    monitor = callbacks.SampleMonitor(every_n_steps=2, n_samples=4, output_dir=tmp_path, show_inline=False)
    with pytest.raises(FileExistsError, match="overwrite") as info:
        fit(make_model(), [monitor], epochs=1)
    assert str(existing) in str(info.value)
    assert existing.read_bytes() == b"old"

    monitor = callbacks.SampleMonitor(
        every_n_steps=2, n_samples=4, output_dir=tmp_path, show_inline=False, overwrite=True
    )
    fit(make_model(), [monitor], epochs=1)
    assert existing.read_bytes()[:4] == b"\x89PNG"


def test_sample_monitor_resumed_run_keeps_earlier_files(tmp_path):
    old = tmp_path / "samples_epoch_0001_step_0000004.png"
    old.write_bytes(b"earlier run")
    model = make_model(counter=True)
    model.generator_iterations.assign(4)  # as restored from a backup
    monitor = callbacks.SampleMonitor(every_n_steps=2, n_samples=4, output_dir=tmp_path, show_inline=False)
    fit(model, [monitor], epochs=1)
    assert [step for step, _ in monitor.snapshots] == [6, 8]  # read from the model's counter
    assert old.read_bytes() == b"earlier run"
    # A later file of the earlier run would be replaced: refused.
    model.generator_iterations.assign(2)
    with pytest.raises(FileExistsError):
        fit(model, [callbacks.SampleMonitor(every_n_steps=2, output_dir=tmp_path, show_inline=False)], epochs=1)


def test_sample_monitor_toy_scatter_and_inline(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(callbacks, "_in_notebook", lambda: True)
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    real = np.random.default_rng(0).normal(size=(50, 2)).astype("float32")
    model = make_model(sample_shape=(2,))
    monitor = callbacks.SampleMonitor(
        every_n_steps=4, n_samples=20, output_dir=tmp_path / "png", real=real, show_critic=True
    )
    fit(model, [monitor], epochs=1)
    ((step, array),) = monitor.snapshots
    assert step == 4 and array.dtype == np.uint8 and array.ndim == 3 and array.shape[-1] == 3
    assert os.listdir(tmp_path / "png") == ["samples_epoch_0001_step_0000004.png"]  # no partial file left
    assert len(shown) == 1 and type(shown[0]).__name__ == "Image"
    assert not plt.get_fignums()  # snapshot figures are closed


@needs_tensorflow
def test_sample_monitor_writes_the_snapshot_to_tensorboard(tmp_path):
    real = np.random.default_rng(0).normal(size=(50, 2)).astype("float32")
    model = make_model(sample_shape=(2,))
    monitor = callbacks.SampleMonitor(
        every_n_steps=4, n_samples=20, output_dir=None, real=real, log_dir=tmp_path / "tb", show_inline=False
    )
    fit(model, [monitor], epochs=1)
    ((step, array),) = monitor.snapshots
    ((tb_step, tag, plugin, tensor),) = read_events(tmp_path / "tb")
    assert (tb_step, tag, plugin) == (4, "samples", "images")
    assert [int(tensor[0]), int(tensor[1])] == [array.shape[1], array.shape[0]]  # width, height
    import io

    from PIL import Image

    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(tensor[2])).convert("RGB")), array)


def test_tensorboard_logging_without_tensorflow_names_the_alternative(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tensorflow(name, *args, **kwargs):
        if name.split(".")[0] == "tensorflow":
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorflow)
    with pytest.raises(ImportError, match="log_dir=None"):
        callbacks.MetricsMonitor(steps_metric, log_dir="tb")


def test_sample_monitor_rejects_unsupported_outputs(tmp_path):
    model = make_model(sample_shape=(5,))
    with pytest.raises(ValueError, match="output shape"):
        fit(model, [callbacks.SampleMonitor(output_dir=None, show_inline=False)], epochs=1)


# --------------------------------------------------------- MetricsMonitor
def steps_metric(model):
    return {"score": float(model.steps_done.numpy()), "vector": np.arange(3)}


def test_metrics_monitor_every_n_steps_into_history(tmp_path):
    model = make_model()
    monitor = callbacks.MetricsMonitor(steps_metric, every_n_steps=2)
    log = tmp_path / "log.csv"
    history = fit(model, [monitor, keras.callbacks.CSVLogger(str(log))])
    assert monitor.steps == [2, 4, 6, 8]
    assert [r["score"] for r in monitor.records] == [2.0, 4.0, 6.0, 8.0]
    assert [r["epoch"] for r in monitor.records] == [0, 0, 1, 1]
    assert history.history["score"] == [4.0, 8.0]
    assert "vector" not in history.history  # only numeric scalars are logged
    assert len(history.history["critic_loss"]) == 2
    with open(log, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [float(r["score"]) for r in rows] == [4.0, 8.0]
    steps, values = monitor.series("score")
    np.testing.assert_array_equal(steps, [2, 4, 6, 8])


@needs_tensorflow
def test_metrics_monitor_writes_tensorboard_scalars(tmp_path):
    monitor = callbacks.MetricsMonitor(steps_metric, every_n_steps=2, log_dir=tmp_path / "tb")
    fit(make_model(), [monitor])
    events = [(step, tag, float(value)) for step, tag, plugin, value in read_events(tmp_path / "tb")]
    assert events == [(s, "metrics/score", float(s)) for s in (2, 4, 6, 8)]


def test_metrics_monitor_default_every_epoch_and_latest_value():
    monitor = callbacks.MetricsMonitor(steps_metric)
    history = fit(make_model(), [monitor])
    assert monitor.steps == [4, 8]
    assert history.history["score"] == [4.0, 8.0]

    # Evaluations at steps 5 and 10 of 4-step epochs, plus one at the end of
    # the first epoch (History and CSVLogger take their keys from it); each
    # epoch logs the latest value.
    monitor = callbacks.MetricsMonitor(steps_metric, every_n_steps=5)
    history = fit(make_model(), [monitor], epochs=3)
    assert monitor.steps == [4, 5, 10]
    assert history.history["score"] == [4.0, 5.0, 10.0]


@pytest.mark.skipif(
    BACKEND == "torch", reason="Keras's own PyTorch trainer (the stand-in's) refuses steps_per_execution > 1"
)
def test_metrics_monitor_with_steps_per_execution_and_model_counter():
    model = StandIn(counter=True)
    model.compile(optimizer="sgd", jit_compile=False, steps_per_execution=2)
    model.generator_iterations.assign(100)
    monitor = callbacks.MetricsMonitor(
        {"score": lambda m: float(m.steps_done.numpy()), "pair": lambda m: {"a": 1.0, "b": 2.0}}, every_n_steps=3
    )
    history = fit(model, [monitor])
    # Batch ends at iterations 102, 104, 106, 108: multiples of 3 are passed at 102, 106, 108.
    assert monitor.steps == [102, 106, 108]
    assert [r["score"] for r in monitor.records] == [2.0, 6.0, 8.0]
    assert history.history["a"] == [1.0, 1.0] and history.history["score"] == [2.0, 8.0]


def test_metrics_monitor_toy_preset(monkeypatch):
    from wgan_keras.metrics import toy

    calls = []

    def fake_w1(samples, real):
        calls.append(samples)
        return float(np.abs(samples).mean())

    def fake_coverage(samples, centers, std):
        return {"modes": len(centers), "n_modes": len(centers), "high_quality": 0.5, "reverse_kl": 0.25, "unused": 1}

    # The one toy evaluation the monitor and the command line share.
    monkeypatch.setattr(toy, "wasserstein1", fake_w1)
    monkeypatch.setattr(toy, "mode_coverage", fake_coverage)
    model = make_model(sample_shape=(2,))
    state = model.sample_seed.state.numpy().copy()
    real = np.zeros((30, 2), "float32")
    monitor = callbacks.MetricsMonitor.toy(real, centers=np.zeros((8, 2)), std=0.02, n_samples=30, every_n_steps=4)
    history = fit(model, [monitor])
    assert sorted(history.history) == ["critic_loss", "high_quality", "modes", "reverse_kl", "w1"]
    assert history.history["modes"] == [8.0, 8.0] and history.history["reverse_kl"] == [0.25, 0.25]
    assert len(calls) == 2 and calls[0].shape == (30, 2)
    np.testing.assert_array_equal(calls[0], calls[1])  # the same seeded sample each time
    np.testing.assert_array_equal(model.sample_seed.state.numpy(), state)
    with pytest.raises(ValueError, match="std"):
        callbacks.MetricsMonitor.toy(real, centers=np.zeros((8, 2)))


def test_metrics_monitor_images_preset():
    class Scorer:
        def evaluate(self, generated, reference):
            return {"fid": float(np.abs(generated - reference[: len(generated)]).mean()), "name": "x"}

    reference = np.zeros((10, 4, 4, 1), "float32")
    monitor = callbacks.MetricsMonitor.images(Scorer(), reference, n_samples=10, prefix="eval_")
    history = fit(make_model(), [monitor], epochs=1)
    assert list(monitor.records[0]) == ["step", "epoch", "eval_fid", "eval_name"]
    assert len(history.history["eval_fid"]) == 1 and "eval_name" not in history.history
    with pytest.raises(ValueError, match="evaluate"):
        callbacks.MetricsMonitor.images(object(), reference)


def test_metrics_monitor_argument_checks():
    with pytest.raises(ValueError):
        callbacks.MetricsMonitor("w1")
    with pytest.raises(ValueError):
        callbacks.MetricsMonitor(steps_metric, every_n_steps=0)
