"""The models inside Keras's machinery: checkpoints, backups, TensorBoard, NaN stops."""

import glob
import os

import keras
import numpy as np
import pytest
from conftest import needs_tensorflow

import wgan_keras as wk


def build(seed=0, model="wgan_gp"):
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    generator = wk.nets.mlp_generator(latent_dim=2, output_shape=(2,), hidden=16, depth=2)
    critic = wk.nets.mlp_critic(input_shape=(2,), hidden=16, depth=2)
    if model == "wgan":
        m = wk.WGAN(generator, critic, n_critic=2, critic_warmup=False, seed=seed)
    else:
        m = wk.WGANGP(generator, critic, n_critic=2, seed=seed)
    m.compile(jit_compile=False)
    return m


BATCH = 16


def epoch_data(n_batches=8, batch=BATCH, nan_at=None):
    """Samples for ``n_batches`` batches per pass (fit with batch_size=BATCH, shuffle=False)."""
    x = np.random.default_rng(0).normal(size=(n_batches * batch, 2)).astype("float32")
    if nan_at is not None:
        x[nan_at] = np.nan
    return x


def fit(model, x, **kwargs):
    return model.fit(x, batch_size=BATCH, shuffle=False, verbose=0, **kwargs)


def weights(model):
    return [v.numpy() for v in model.generator.weights + model.critic.weights]


class StopAt(keras.callbacks.Callback):
    """Simulates a crash at the start of an epoch."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("simulated crash")


def test_model_checkpoint_writes_loadable_models(tmp_path):
    model = build()
    path = str(tmp_path / "ckpt-{epoch}.keras")
    fit(model, epoch_data(), epochs=2, callbacks=[keras.callbacks.ModelCheckpoint(path)])
    loaded = keras.models.load_model(str(tmp_path / "ckpt-2.keras"))
    assert isinstance(loaded, wk.WGANGP)
    assert int(loaded.generator_iterations.numpy()) == 8  # 2 epochs x 4 iterations
    for a, b in zip(weights(loaded), weights(model)):
        np.testing.assert_array_equal(a, b)
    assert int(loaded.critic_optimizer.iterations.numpy()) == int(model.critic_optimizer.iterations.numpy())


@pytest.mark.parametrize("callback", [keras.callbacks.BackupAndRestore, wk.backup.AtomicBackupAndRestore])
def test_backup_and_restore_resumes_to_the_uninterrupted_result(tmp_path, callback):
    straight = build()
    fit(straight, epoch_data(), epochs=4)
    backup_dir = str(tmp_path / "backup")
    crashed = build()
    with pytest.raises(RuntimeError, match="simulated crash"):
        fit(crashed, epoch_data(), epochs=4, callbacks=[callback(backup_dir), StopAt(2)])
    resumed = build()
    history = fit(resumed, epoch_data(), epochs=4, callbacks=[callback(backup_dir)])
    assert len(history.history["critic_loss"]) == 2  # epochs 3 and 4 only
    assert int(resumed.generator_iterations.numpy()) == 16
    for a, b in zip(weights(resumed), weights(straight)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


@needs_tensorflow
def test_tensorboard_logs_the_models_metrics(tmp_path):
    import tensorflow as tf

    model = build()
    log_dir = str(tmp_path / "tb")
    fit(model, epoch_data(), epochs=2, callbacks=[keras.callbacks.TensorBoard(log_dir)])
    events = glob.glob(os.path.join(log_dir, "train", "events.out.tfevents.*"))
    assert events
    tags = {value.tag for event in tf.compat.v1.train.summary_iterator(events[0]) for value in event.summary.value}
    assert {"epoch_critic_loss", "epoch_wasserstein_estimate", "epoch_gradient_penalty"} <= tags


def test_terminate_on_nan_coexists_and_divergence_keeps_the_last_good_backup(tmp_path):
    backup_dir = str(tmp_path / "backup")
    model = build()
    fit(model, epoch_data(), epochs=2, callbacks=[keras.callbacks.TerminateOnNaN()])
    model = build()
    backup = wk.backup.AtomicBackupAndRestore(backup_dir, delete_on_success=False)
    fit(model, epoch_data(), epochs=2, callbacks=[backup])
    assert backup.read_metadata()["epoch"] == 2
    # Resumed on data that turns NaN in generator iteration 3 of epoch 3.
    model = build()
    backup = wk.backup.AtomicBackupAndRestore(backup_dir)
    bad = epoch_data(nan_at=16 * 5 + 3)
    with pytest.raises(wk.TrainingDiverged, match=r"generator iteration 11") as info:
        fit(model, bad, epochs=4, callbacks=[backup, keras.callbacks.TerminateOnNaN()])
    assert backup.restored_epoch == 2
    assert info.value.generator_iteration == 8 + 3
    metadata = backup.read_metadata()
    assert metadata["epoch"] == 2  # the diverged epoch was never backed up
    restored = build()
    restored.load_weights(os.path.join(backup_dir, metadata["weights"]))
    assert all(np.all(np.isfinite(w)) for w in weights(restored))
