"""Where uploaded bytes go: a :class:`MediaSink` per upload (counted, hashed, or written to
disk as they arrive), made by the fake's :class:`MediaStorage`."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from publisher.sandbox.youtube.facts import StorageMode


class MediaSink:
    """Where media bytes go as they arrive: counted always, hashed unless ``discard``,
    written to ``path`` in ``disk`` mode. Never holds more than one block in memory."""

    def __init__(self, mode: StorageMode, path: Path | None = None) -> None:
        self.mode = mode
        self.size = 0
        self.head = b""
        self._hash = hashlib.sha256() if mode != "discard" else None
        self.path = path if mode == "disk" else None
        self._file: BinaryIO | None = None
        if self.path is not None:
            self._file = self.path.open("wb")

    def write(self, data: bytes) -> None:
        if not data:
            return
        if len(self.head) < 16:
            self.head += data[:16 - len(self.head)]
        self.size += len(data)
        if self._hash is not None:
            self._hash.update(data)
        if self._file is not None:
            self._file.write(data)

    @property
    def sha256(self) -> str | None:
        return self._hash.hexdigest() if self._hash is not None else None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class MediaStorage:
    """The storage mode, and in ``disk`` mode the directory: ``directory`` if given, else a
    temporary one made at :meth:`open` and removed at :meth:`close`."""

    def __init__(self, mode: StorageMode, directory: Path | None) -> None:
        self.mode: StorageMode = mode
        self.directory = directory
        self._owns_directory = False

    def open(self) -> None:
        if self.mode == "disk" and self.directory is None:
            self.directory = Path(tempfile.mkdtemp(prefix="fake-youtube-"))
            self._owns_directory = True

    def close(self) -> None:
        if self._owns_directory and self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
            self._owns_directory = False

    def new_sink(self, name: str) -> MediaSink:
        path = None
        if self.mode == "disk":
            assert self.directory is not None
            path = self.directory / f"{name}.part"
        return MediaSink(self.mode, path)
