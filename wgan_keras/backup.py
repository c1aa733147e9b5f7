"""Crash-safe ``BackupAndRestore``: a killed run resumes from its last good backup.

Keras's ``BackupAndRestore`` writes the weights file and then a metadata file
in place. A kill between the two, or halfway through the weights, leaves a
pair that can load as if it were good (new weights with the old epoch, or a
truncated file). ``AtomicBackupAndRestore`` writes each backup under a new
name, checks it, records its SHA-256 in the metadata, and replaces the
metadata atomically (``os.replace``) last. The metadata therefore always
names a complete weights file whose digest matches, and a file that does not
match is never loaded.
"""

import hashlib
import json
import os
import warnings

import keras

METADATA = "backup.json"


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AtomicBackupAndRestore(keras.callbacks.Callback):
    """Back up the whole training state at the end of every epoch; restore it.

    The backup holds what ``model.save_weights`` holds: both networks, both
    optimizers' state, the generator-iteration counter and the random
    streams. With a data stream that is the same every epoch (or a function
    of the epoch), a run killed at any moment and started again with the
    same command ends with the same weights as an uninterrupted run.

    Args:
        backup_dir: where backups live; created if needed. It is removed at
            the end of a ``fit`` that ran all its epochs, unless
            ``delete_on_success=False``.
        delete_on_success: remove the backups when training completes.
    """

    def __init__(self, backup_dir, delete_on_success=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("backup_dir must be a directory path.")
        self.backup_dir = os.fspath(backup_dir)
        self.delete_on_success = delete_on_success
        self.restored_epoch = None

    @property
    def _metadata_path(self):
        return os.path.join(self.backup_dir, METADATA)

    def read_metadata(self):
        """The metadata of the last complete backup, or ``None``."""
        try:
            with open(self._metadata_path) as handle:
                metadata = json.load(handle)
        except FileNotFoundError:
            return None
        except (OSError, json.JSONDecodeError) as error:
            warnings.warn(f"Ignoring an unreadable backup metadata file: {error}")
            return None
        path = os.path.join(self.backup_dir, metadata.get("weights", ""))
        if not os.path.isfile(path) or _sha256(path) != metadata.get("sha256"):
            warnings.warn(f"Ignoring backup {path}: missing or its checksum does not match.")
            return None
        return metadata

    def on_train_begin(self, logs=None):
        metadata = self.read_metadata()
        if metadata is None:
            return
        self.model.load_weights(os.path.join(self.backup_dir, metadata["weights"]))
        self.model._initial_epoch = metadata["epoch"]
        self.restored_epoch = metadata["epoch"]

    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(self.backup_dir, exist_ok=True)
        name = f"epoch-{epoch + 1:06d}.weights.h5"
        final = os.path.join(self.backup_dir, name)
        partial = final + ".partial.weights.h5"
        self.model.save_weights(partial, overwrite=True)
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, final)
        metadata = {"epoch": epoch + 1, "weights": name, "sha256": _sha256(final)}
        staging = self._metadata_path + ".partial"
        with open(staging, "w") as handle:
            json.dump(metadata, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(staging, self._metadata_path)
        _fsync_dir(self.backup_dir)
        for other in os.listdir(self.backup_dir):
            if other.endswith(".weights.h5") and other != name:
                os.remove(os.path.join(self.backup_dir, other))

    def on_train_end(self, logs=None):
        # A run stopped by a callback (EarlyStopping, TerminateOnNaN) keeps
        # its backups: it may have stopped because something went wrong.
        if self.delete_on_success and not self.model.stop_training:
            for other in os.listdir(self.backup_dir) if os.path.isdir(self.backup_dir) else []:
                os.remove(os.path.join(self.backup_dir, other))
            if os.path.isdir(self.backup_dir):
                os.rmdir(self.backup_dir)
