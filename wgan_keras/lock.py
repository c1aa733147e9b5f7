"""One run per output folder: an exclusive lock the kernel releases when the process ends.

The command line holds ``fcntl.flock`` on ``OUT/.lock`` for as long as it
runs. The kernel drops the lock when the process dies, however it dies
(SIGKILL included), so a killed run never blocks the command that resumes
it; a second run started meanwhile is refused at once, naming the first
one's process. The lock file is removed while the lock is held, so a run
that locked a file another process has just removed checks the file is
still the one at the path, and locks again if not.
"""

import json
import os
import shlex
import sys

try:
    import fcntl
except ImportError:  # Windows: no flock
    fcntl = None

NAME = ".lock"


class FolderBusy(RuntimeError):
    """Another process holds the folder's lock: ``holder`` is what it wrote (``pid``, ``command``) or ``{}``."""

    def __init__(self, folder, holder):
        self.folder, self.holder = folder, holder
        pid = holder.get("pid")
        who = f"process {pid}" if pid else "another process"
        command = f" ({holder['command']})" if holder.get("command") else ""
        super().__init__(f"{folder!r} is in use by {who}{command}")


class FolderLock:
    """An exclusive lock on ``folder`` (created if missing), held from :meth:`acquire` to :meth:`release`.

    Args:
        folder: the folder to lock.
        command: recorded for a process that finds the folder busy.

    Attributes:
        created: whether :meth:`acquire` created the folder.
    """

    def __init__(self, folder, command=None):
        self.folder = folder
        self.path = os.path.join(folder, NAME)
        self.command = command or shlex.join([os.path.basename(sys.executable), *sys.argv])
        self.created = False
        self._fd = None

    def acquire(self):
        """Take the lock; raises :class:`FolderBusy`, or ``OSError`` when the folder cannot be made or written."""
        try:
            os.makedirs(self.folder)
            self.created = True
        except FileExistsError:
            if not os.path.isdir(self.folder):
                raise
        if fcntl is None:
            return self
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise FolderBusy(self.folder, holder) from None
            except BaseException:
                os.close(fd)
                raise
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # its holder removed it meanwhile: lock the file that is there now
        self._fd = fd
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "command": self.command}).encode())
        return self

    def release(self, remove_folder_if_empty=False):
        """Remove the lock file and drop the lock; also the folder if it is empty and ``acquire`` created it."""
        if self._fd is not None:
            try:
                os.remove(self.path)
            except FileNotFoundError:
                pass
            os.close(self._fd)
            self._fd = None
        if remove_folder_if_empty and self.created:
            try:
                os.rmdir(self.folder)
            except OSError:
                pass  # not empty: it holds the run


def _read_holder(fd):
    try:
        return json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (OSError, ValueError):
        return {}
