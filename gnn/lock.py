"""A lock so two discovery runs never overlap.

The lock is a file under HOME (``discover.lock``) held with ``flock``: the kernel releases it
when the holding process dies, however it dies, so a crashed run can never block the next one
forever. The file also says who holds it (run id, pid, host, start time), so a refused run can
name the running one, and a run that takes over a lock left by a dead process knows which run
was interrupted (the job then marks that run ``failed``).

``flock`` is per machine (and unreliable on some network file systems): one HOME per scheduler,
as the compose service and the cron/systemd examples do.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from graph.errors import PartnerGraphError

LOCK_NAME = "discover.lock"


class DiscoveryLocked(PartnerGraphError):
    """Another discovery run holds the lock."""

    exit_code = 9


@dataclass(frozen=True)
class LockInfo:
    run_id: str
    pid: int
    host: str
    started_at: str

    def describe(self) -> str:
        return f"run {self.run_id} (pid {self.pid} on {self.host}, started {self.started_at})"


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def read_info(path: Path) -> LockInfo | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text() or "{}")
        return LockInfo(str(data["run_id"]), int(data["pid"]), str(data["host"]), str(data["started_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


class DiscoveryLock:
    """``with DiscoveryLock(home, run_id, started_at) as lock:`` — raises :class:`DiscoveryLocked`
    naming the running run when another process holds it. After entering, ``lock.stale`` is the
    holder left behind by a dead process (or ``None``)."""

    def __init__(self, home: Path, run_id: str, started_at: str) -> None:
        self.path = Path(home) / LOCK_NAME
        self.info = LockInfo(run_id, os.getpid(), socket.gethostname(), started_at)
        self.stale: LockInfo | None = None
        self._fd: int | None = None

    def acquire(self) -> DiscoveryLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            holder = read_info(self.path)
            who = holder.describe() if holder else "another run (lock file without details)"
            raise DiscoveryLocked(
                f"discovery is already running: {who}",
                hint=f"wait for it to finish; the lock is {self.path}",
            ) from None
        previous = read_info(self.path)
        if previous is not None:
            # A clean release empties the file; details left behind while we hold the flock
            # mean the previous holder died (crashed or killed) in the middle of its run.
            self.stale = previous
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(asdict(self.info)).encode(), 0)
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        with contextlib.suppress(OSError):
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> DiscoveryLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def current_holder(home: Path) -> LockInfo | None:
    """Who holds the lock right now (``None`` when nobody does), without taking it."""
    path = Path(home) / LOCK_NAME
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return read_info(path)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
