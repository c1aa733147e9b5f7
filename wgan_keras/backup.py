"""Crash-safe ``BackupAndRestore``: a killed run resumes from its last good backup.

Keras's ``BackupAndRestore`` writes the weights file and then a metadata file
in place. A kill between the two, or halfway through the weights, leaves a
pair that can load as if it were good (new weights with the old epoch, or a
truncated file). ``AtomicBackupAndRestore`` writes each backup under a new
name, records its SHA-256 in the metadata, and replaces the metadata
atomically (``os.replace``) last, so the metadata always names a complete
weights file whose digest matches; a file that does not match is never
loaded. The previous backup is kept too: if the latest one is damaged (a
disk error, a truncated copy), training resumes from the one before, and
when no backup is usable the run stops with a message instead of silently
starting again from scratch.
"""

import hashlib
import json
import os
import warnings

import keras

METADATA = "backup.json"
PREVIOUS = "backup.previous.json"


class BackupUnusable(RuntimeError):
    """Backups exist but none can be loaded: resuming would lose the run, so it stops."""


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


def write_atomically(path, write):
    """``write(partial_path)``, then rename it to ``path``: ``path`` is complete or absent."""
    partial = f"{path}.partial{os.path.splitext(path)[1]}"
    if path.endswith(".weights.h5"):
        partial = f"{path[: -len('.weights.h5')]}.partial.weights.h5"
    try:
        write(partial)
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    _fsync_dir(os.path.dirname(os.path.abspath(path)))


def write_json(path, value):
    """``value`` as JSON at ``path``, atomically."""

    def write(partial):
        with open(partial, "w") as handle:
            json.dump(value, handle, indent=2)

    write_atomically(path, write)


class AtomicBackupAndRestore(keras.callbacks.Callback):
    """Back up the whole training state at the end of every epoch; restore it.

    The backup holds what ``model.save_weights`` holds: both networks, both
    optimizers' state, the generator-iteration counter and the random
    streams. With a data stream that is the same every epoch (or continues
    where the model stands, as arrays and PyDatasets do), a run killed at any
    moment and started again with the same command ends with the same
    weights as an uninterrupted run.

    Args:
        backup_dir: where backups live; created if needed. It is removed at
            the end of a ``fit`` that ran all its epochs, unless
            ``delete_on_success=False``.
        delete_on_success: remove the backups when training completes.

    Raises:
        BackupUnusable: (when training begins) backup files exist but
            neither the latest nor the previous backup can be loaded.
    """

    def __init__(self, backup_dir, delete_on_success=True):
        super().__init__()
        if not backup_dir:
            raise ValueError(f"backup_dir must be a directory path; got {backup_dir!r}.")
        self.backup_dir = os.fspath(backup_dir)
        self.delete_on_success = delete_on_success
        self.restored_epoch = None

    def _metadata(self, name):
        """The metadata file ``name`` if it names a complete, matching weights file; else ``None``."""
        path = os.path.join(self.backup_dir, name)
        try:
            with open(path) as handle:
                metadata = json.load(handle)
            weights = os.path.join(self.backup_dir, metadata["weights"])
            digest = metadata["sha256"]
            int(metadata["epoch"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as error:
            warnings.warn(f"Ignoring the unreadable backup metadata {path}: {error}", stacklevel=3)
            return None
        if not os.path.isfile(weights) or _sha256(weights) != digest:
            warnings.warn(f"Ignoring backup {weights}: missing or its checksum does not match.", stacklevel=3)
            return None
        return metadata

    def read_metadata(self):
        """The metadata of the newest usable backup (the latest, else the previous), or ``None``."""
        return self._metadata(METADATA) or self._metadata(PREVIOUS)

    def has_backup_files(self):
        """True when the folder holds any backup or metadata file (usable or not)."""
        if not os.path.isdir(self.backup_dir):
            return False
        return any(name.endswith((".json", ".weights.h5")) for name in os.listdir(self.backup_dir))

    def on_train_begin(self, logs=None):
        metadata = self.read_metadata()
        if metadata is None:
            if self.has_backup_files():
                raise BackupUnusable(
                    f"{self.backup_dir} holds backups, but neither the latest nor the previous one can be loaded "
                    "(see the warnings above). Resuming is impossible and starting again would discard the run, "
                    "so training stops here. To start afresh, remove that folder (the command line: --overwrite, "
                    "or another --out)."
                )
            return
        self.model.load_weights(os.path.join(self.backup_dir, metadata["weights"]))
        self.model._initial_epoch = metadata["epoch"]
        self.restored_epoch = metadata["epoch"]

    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(self.backup_dir, exist_ok=True)
        name = f"epoch-{epoch + 1:06d}.weights.h5"
        final = os.path.join(self.backup_dir, name)
        write_atomically(final, lambda partial: self.model.save_weights(partial, overwrite=True))
        current = self._metadata(METADATA)
        if current is not None and current["weights"] != name:
            write_json(os.path.join(self.backup_dir, PREVIOUS), current)
        write_json(
            os.path.join(self.backup_dir, METADATA), {"epoch": epoch + 1, "weights": name, "sha256": _sha256(final)}
        )
        kept = {name} | {m["weights"] for m in (self._metadata(PREVIOUS),) if m}
        for other in os.listdir(self.backup_dir):
            if other.endswith(".weights.h5") and other not in kept:
                os.remove(os.path.join(self.backup_dir, other))

    def on_train_end(self, logs=None):
        # A run stopped by a callback (EarlyStopping, TerminateOnNaN) keeps
        # its backups: it may have stopped because something went wrong.
        if self.delete_on_success and not self.model.stop_training:
            self.delete()

    def delete(self):
        """Remove the backups and their folder."""
        if not os.path.isdir(self.backup_dir):
            return
        for other in os.listdir(self.backup_dir):
            os.remove(os.path.join(self.backup_dir, other))
        os.rmdir(self.backup_dir)
