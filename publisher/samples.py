"""Small real media files made on the spot with PyAV: for the demo and the tests.

No binary samples are committed; a one-second H.264/AAC MP4 takes a few milliseconds.
"""

from __future__ import annotations

import math
import struct
import zlib
from fractions import Fraction
from pathlib import Path


def make_video(path: Path, *, seconds: float = 1.0, width: int = 64, height: int = 48,
               fps: int = 10, audio: bool = True, video: bool = True, seed: int = 0,
               last_frame_at: float | None = None, noise: bool = False) -> Path:
    """Encode a short synthetic clip; `seed` changes the pixels (and so the sha256).

    `last_frame_at` places the final frame at that time, making a long file with few frames
    (used to test the 12-hour limit without encoding 12 hours). `noise` fills frames with
    random pixels, which do not compress: a few seconds make megabytes (for upload tests).
    """
    import os

    import av

    container = av.open(str(path), "w")
    try:
        rate = 16000
        # Every stream must exist before the first packet is muxed (that writes the header).
        astream = container.add_stream("aac", rate=rate) if audio else None
        assert astream is None or isinstance(astream, av.audio.stream.AudioStream)
        if video:
            codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
            vstream = container.add_stream(codec, rate=fps)
            assert isinstance(vstream, av.video.stream.VideoStream)
            vstream.width, vstream.height, vstream.pix_fmt = width, height, "yuv420p"
            frames = max(1, int(seconds * fps))
            for i in range(frames):
                shade = (seed * 37 + i * 11) % 256
                row = bytes([shade, (shade * 3) % 256, (255 - shade)]) * width
                frame = av.VideoFrame(width, height, "rgb24")
                plane = frame.planes[0]
                line = plane.line_size
                if noise:
                    plane.update(os.urandom(line * height))
                else:
                    plane.update(b"".join(row.ljust(line, b"\0") for _ in range(height)))
                frame = frame.reformat(format="yuv420p")
                if last_frame_at is not None and i == frames - 1:
                    frame.pts = int(last_frame_at * fps)
                else:
                    frame.pts = i
                frame.time_base = Fraction(1, fps)
                for packet in vstream.encode(frame):
                    container.mux(packet)
            for packet in vstream.encode():
                container.mux(packet)
        if astream is not None:
            total = int(seconds * rate)
            block = 1024
            for start in range(0, total, block):
                n = min(block, total - start)
                samples = b"".join(
                    struct.pack("<h", int(8000 * math.sin((start + k) * (440 + seed) * 2
                                                          * math.pi / rate)))
                    for k in range(n))
                aframe = av.AudioFrame(format="s16", layout="mono", samples=n)
                aframe.planes[0].update(samples.ljust(aframe.planes[0].buffer_size, b"\0"))
                aframe.sample_rate = rate
                aframe.pts = start
                aframe.time_base = Fraction(1, rate)
                for packet in astream.encode(aframe):
                    container.mux(packet)
            for packet in astream.encode():
                container.mux(packet)
    finally:
        container.close()
    return path


def make_png(path: Path, width: int = 16, height: int = 9, color: tuple[int, int, int] = (
        200, 180, 160)) -> Path:
    """A tiny valid PNG, written by hand (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = b"".join(b"\0" + bytes(color) * width for _ in range(height))
    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    path.write_bytes(png)
    return path


SAMPLE_SRT = """1
00:00:00,000 --> 00:00:01,000
Benvenuti negli studi aperti di Carrara.
"""

SAMPLE_VTT = """WEBVTT

00:00:00.000 --> 00:00:01.000
Welcome to the open studios of Carrara.
"""
