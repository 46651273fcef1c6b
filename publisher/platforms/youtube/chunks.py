"""How large the next upload chunk is: a fixed size, or sized to the link as measured.

Each chunk is one request whose answer the uploader waits for before the next is sent, so a
chunk should take long enough to send that the round trip of its answer is small beside it;
and a chunk is what a crash or a dropped connection costs to send again, so it should take
seconds, not minutes. `LinkSized` aims every chunk at `target_s` seconds of the throughput
measured on the chunks before it (send to answer, the round trip included), in multiples of
256 KiB (the API's rule), between `minimum` and `maximum`. The maximum (256 MiB, about two
seconds of a 1 Gbit/s line) only matters on links faster than 64 MiB/s: on loopback, smaller
chunks lost a tenth of the throughput to the pause at each chunk's end
(benchmarks/upload_throughput.py); memory does not depend on it (chunks are streamed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

CHUNK_QUANTUM = 256 * 1024
MIN_CHUNK = CHUNK_QUANTUM
MAX_CHUNK = 256 * 1024 * 1024
FIRST_CHUNK = 4 * 1024 * 1024
TARGET_S = 4.0
#: A chunk grows at most this much over the one before (a short first measurement, TCP's
#: slow start, must not ask for a minute's worth).
MAX_GROWTH = 8


def check_chunk_size(size: int) -> int:
    if size <= 0 or size % CHUNK_QUANTUM:
        raise ValueError(f"the upload chunk size must be a positive multiple of 256 KiB "
                         f"({CHUNK_QUANTUM} bytes), found {size}")
    return size


def round_to_quantum(size: float) -> int:
    """`size` rounded down to a multiple of 256 KiB, at least 256 KiB."""
    return max(CHUNK_QUANTUM, int(size) // CHUNK_QUANTUM * CHUNK_QUANTUM)


class ChunkSizes(Protocol):
    def next_size(self) -> int: ...

    def sent(self, nbytes: int, seconds: float) -> None:
        """A chunk of `nbytes` was answered `seconds` after its first byte went."""


@dataclass
class FixedChunks:
    """`[youtube] chunk_size_mib`: every chunk the same size."""

    size: int

    def __post_init__(self) -> None:
        check_chunk_size(self.size)

    def next_size(self) -> int:
        return self.size

    def sent(self, nbytes: int, seconds: float) -> None:
        pass


@dataclass
class LinkSized:
    """Chunks of about `target_s` seconds of the link as measured (see the module doc)."""

    target_s: float = TARGET_S
    minimum: int = MIN_CHUNK
    maximum: int = MAX_CHUNK
    first: int = FIRST_CHUNK
    _size: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        for value in (self.minimum, self.maximum, self.first):
            check_chunk_size(value)
        self._size = min(max(self.first, self.minimum), self.maximum)

    def next_size(self) -> int:
        return self._size

    def sent(self, nbytes: int, seconds: float) -> None:
        if nbytes < CHUNK_QUANTUM:
            return  # a final piece says little about the link
        rate = nbytes / max(seconds, 1e-6)
        wanted = min(rate * self.target_s, nbytes * MAX_GROWTH)
        self._size = min(max(round_to_quantum(wanted), self.minimum), self.maximum)


def chunk_sizes(forced: int | None) -> ChunkSizes:
    """A forced size (publisher.toml's `chunk_size_mib`), else sized to the link."""
    return FixedChunks(forced) if forced is not None else LinkSized()
