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

Temporary files carry the writing process's id, so two processes writing
the same file never take each other's partial file. A full disk is
reported as :class:`DiskFull`: the file and the space it needs.
"""

import errno
import hashlib
import json
import os
import re
import shutil
import warnings

import keras

METADATA = "backup.json"
PREVIOUS = "backup.previous.json"


class BackupUnusable(RuntimeError):
    """Backups exist but none can be loaded: resuming would lose the run, so it stops."""


class DiskFull(OSError):
    """No space left on the device for a file: ``path``, ``needed`` (bytes or ``None``), ``free`` (bytes)."""

    def __init__(self, path, needed, free):
        super().__init__(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
        self.path, self.needed, self.free = path, needed, free

    def __str__(self):
        need = f"needs {_size(self.needed)}" if self.needed else "needs more space"
        return f"no space left on the device for {self.path}: it {need}, {_size(self.free)} are free"


def _size(count):
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000


#: The temporary names ``write_atomically`` uses: ``<name>.partial-<pid><ext>``.
PARTIAL = re.compile(r"\.partial(-(?P<pid>\d+))?(\.weights\.h5|\.[A-Za-z0-9]+)$")


def partial_path(path, pid=None):
    """The temporary name of ``path`` in process ``pid`` (this one by default); the same extension."""
    tag = f"partial-{os.getpid() if pid is None else pid}"
    if path.endswith(".weights.h5"):  # Keras insists on the extension
        return f"{path[: -len('.weights.h5')]}.{tag}.weights.h5"
    return f"{path}.{tag}{os.path.splitext(path)[1]}"


def remove_stale_partials(folder, of=None):
    """Remove other processes' temporary files in ``folder`` (only while no other process writes there).

    ``of``: a test on the name of the file a temporary file was for (only those are removed); default all.
    """
    if not os.path.isdir(folder):
        return
    for name in os.listdir(folder):
        match = PARTIAL.search(name)
        if not match or match["pid"] == str(os.getpid()):
            continue
        target = name[: match.start()] + (".weights.h5" if name.endswith(".weights.h5") else "")
        if of is None or of(target):
            os.remove(os.path.join(folder, name))


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


def write_atomically(path, write, size=None):
    """``write(partial_path)``, then rename it to ``path``: ``path`` is complete or absent.

    Args:
        path: the file to write.
        write: writes the whole file at the path it is given.
        size: the file's size in bytes, or a function that returns it (called
            only when the disk is full); by default the size of the file it
            replaces, if any.

    Raises:
        DiskFull: (an ``OSError``) no space left for the file; ``path`` is unchanged.
    """
    partial = partial_path(path)
    try:
        write(partial)
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except OSError as error:
        if error.errno not in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)) or isinstance(error, DiskFull):
            raise
        _remove(partial)  # its space first: the free space reported is what the user has
        raise DiskFull(path, _needed(path, size), _free(path)) from error
    finally:
        _remove(partial)
    _fsync_dir(os.path.dirname(os.path.abspath(path)))


def _remove(path):
    if os.path.exists(path):
        os.remove(path)


def _needed(path, size):
    try:
        if callable(size):
            return size()
        return size if size is not None else os.path.getsize(path)
    except Exception:  # noqa: BLE001  (a disk-full message must not fail for want of the size)
        return None


def _free(path):
    try:
        return shutil.disk_usage(os.path.dirname(os.path.abspath(path))).free
    except OSError:
        return 0


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
        run: a JSON-serializable record of what the run is (its settings,
            its backend), stored with every backup, so a resumed run can
            check it continues the same run (``read_metadata()["run"]``).

    Raises:
        BackupUnusable: (when training begins) backup files exist but
            neither the latest nor the previous backup can be loaded.
    """

    def __init__(self, backup_dir, delete_on_success=True, run=None):
        super().__init__()
        if not backup_dir:
            raise ValueError(f"backup_dir must be a directory path; got {backup_dir!r}.")
        self.backup_dir = os.fspath(backup_dir)
        self.delete_on_success = delete_on_success
        self.run = run
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
        current = self._metadata(METADATA)
        # Every backup of a model has the same size: the last one says what the next one needs.
        last = current and os.path.getsize(os.path.join(self.backup_dir, current["weights"]))
        write_atomically(final, lambda partial: self.model.save_weights(partial, overwrite=True), size=last)
        if current is not None and current["weights"] != name:
            write_json(os.path.join(self.backup_dir, PREVIOUS), current)
        metadata = {"epoch": epoch + 1, "weights": name, "sha256": _sha256(final)}
        if self.run is not None:
            metadata["run"] = self.run
        write_json(os.path.join(self.backup_dir, METADATA), metadata)
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
