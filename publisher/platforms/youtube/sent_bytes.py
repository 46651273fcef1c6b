"""Is what the upload sends the file that was queued? The sha256 of the sent bytes, computed
while they are sent, checked before the last piece goes (without it YouTube makes no video).

The bytes are hashed in order by a thread of their own (hashlib lets go of the GIL), so the
upload does not wait for the hash. A resumed upload starts sending at once: the thread first
hashes the part sent by an earlier process from the file, then the bytes sent meanwhile
(again from the file), then takes over the bytes as they are sent. SHA-256's state cannot be
saved portably, hence the catch-up read; it runs beside the upload, not before it.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path

from publisher.platforms.errors import PermanentError

READ_BLOCK = 1024 * 1024
#: Blocks handed to the hashing thread and not hashed yet, at most (256 KiB each: 16 MiB).
QUEUE_BLOCKS = 64


Block = bytes | memoryview
Release = Callable[[], None]


class ContentChanged(PermanentError):
    """The bytes of the upload are not the file that was queued: the upload stops short of
    its last piece, so YouTube never makes the video."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"the video file changed since it was queued ({why}): {path}; "
                         "publisher will not upload a different video than the one checked",
                         platform="youtube")
        self.path = path


class SentBytesCheck:
    """The running sha256 of an upload's bytes, from offset 0.

    `sent(offset, data)` is called, in order, with every block the upload sends (a re-sent
    block is ignored); `verify()` once every byte was handed over. `start` is where this
    process begins sending (a resumed session's offset): what comes before is read from the
    file by the thread.
    """

    def __init__(self, path: Path, expected_sha256: str, start: int = 0) -> None:
        self.path = path
        self.expected = expected_sha256.lower()
        self._lock = threading.Lock()
        self._sent = start           # [0, _sent) is handed over: by the file or by sent()
        self._from_file = start > 0  # the thread still reads [hashed, _sent) from the file
        self._blocks: queue.Queue[tuple[Block, Release] | None] = queue.Queue(
            maxsize=QUEUE_BLOCKS)
        self._hasher = hashlib.sha256()
        self._problem: str | None = None
        self._cancelled = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="upload-sha256", daemon=True)
        self._thread.start()

    @property
    def handed_over(self) -> int:
        return self._sent

    @property
    def problem(self) -> str | None:
        """Why the file is known to differ already (it could not be read again), if it is."""
        return self._problem

    def sent(self, offset: int, data: Block, release: Release = lambda: None) -> None:
        """`data` goes out at `offset`; `release()` is called once it is hashed (or not
        needed), after which its buffer may be used again."""
        end = offset + len(data)
        with self._lock:
            if end <= self._sent or self._from_file or offset > self._sent:
                fresh = None  # re-sent; or read from the file once the catch-up gets there
            else:
                fresh = data[self._sent - offset:] if offset < self._sent else data
            if offset > self._sent:
                raise RuntimeError(f"upload bytes handed over out of order: {offset} after "
                                   f"{self._sent}")
            self._sent = max(self._sent, end)
        if fresh is None:
            release()
        else:
            self._blocks.put((fresh, release))

    def verify(self, total: int) -> None:
        """Wait for the hash of all `total` bytes; ContentChanged unless it is the queued one."""
        if self._sent != total:
            raise RuntimeError(f"verify at {self._sent} of {total} bytes")
        digest = self._finish()
        if self._problem is not None:
            raise ContentChanged(self.path, self._problem)
        if digest != self.expected:
            raise ContentChanged(self.path, "its sha256 differs")

    def close(self) -> None:
        """Stop hashing (the upload ended another way)."""
        self._cancelled = True
        self._finish()

    def _finish(self) -> str:
        if not self._closed:
            self._closed = True
            self._blocks.put(None)
            self._thread.join()
        return self._hasher.hexdigest()

    def _run(self) -> None:
        try:
            self._catch_up()
        except OSError as exc:
            self._problem = f"it could not be read again: {exc.strerror or exc}"
        while (item := self._blocks.get()) is not None:  # always drained: sent() never hangs
            block, release = item
            if self._problem is None and not self._cancelled:
                self._hasher.update(block)
            release()

    def _catch_up(self) -> None:
        if not self._from_file:
            return
        hashed = 0
        fd = os.open(self.path, os.O_RDONLY)
        try:
            while not self._cancelled:
                with self._lock:
                    target = self._sent
                    if hashed >= target:
                        self._from_file = False
                        return
                data = os.pread(fd, min(READ_BLOCK, target - hashed), hashed)
                if not data:
                    self._problem = "it is shorter than the part already uploaded"
                    with self._lock:
                        self._from_file = False
                    return
                self._hasher.update(data)
                hashed += len(data)
        finally:
            os.close(fd)
