"""Throughput and peak memory of the YouTube uploader, against `curl -T`, on the loopback fake.

Run with the Python of the virtualenv where publisher is installed:

    python benchmarks/upload_throughput.py [--sizes 1,4] [--chunk-sizes 1,4,8,16,32,64]
                                           [--repeat 5] [--json-out FILE] [--quick]

Three processes, so that nobody's CPU or memory is counted against anybody else's:

    the fake       publisher.sandbox.youtube.FakeYouTube(storage="discard"), started by this
                   script as a child (`upload_throughput.py _serve`); it counts the bytes and
                   throws them away
    our uploader   a fresh child per upload (`upload_throughput.py _upload SPEC`): the product's
                   load_credentials + make_http + build_service + upload_video, timed from the
                   session POST to the final 200; its peak RSS is the child's ru_maxrss (wait4)
    curl           `curl -T FILE` of the same file to a resumable session created on the same
                   fake (one PUT of the whole file, `Content-Range: bytes 0-N/T`): the reference

For each --sizes file (random bytes, made in a temporary directory and deleted afterwards), it
uploads with curl and with our uploader at the product's default chunk size, alternately,
--repeat times each, and prints the median throughput, the ratio to curl's and our peak RSS.
On the first file of at least 1 GiB (else the largest) it also times our uploader at each
--chunk-sizes and recommends a default. The targets (>= 0.9 x curl's throughput, peak RSS
<= 150 MB and the same for every size) are reported PASS or MISS; the exit status is non-zero
only when something fails to run. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MiB = 1024**2
GiB = 1024**3
MB = 10**6

THROUGHPUT_TARGET = 0.9          # our median throughput / curl's, at every size
RSS_TARGET_BYTES = 150 * MB      # our peak RSS, at every size
RSS_SAME_REL, RSS_SAME_ABS = 0.05, 4 * MiB  # "the same": within 5 % or 4 MiB, the larger
RECOMMEND_WITHIN = 0.9           # a chunk size within 10 % of the best measured throughput...
MODEL_LINK_MBIT, MODEL_RTT_MS = 100.0, 40.0  # ...that also keeps this link >= 95 % busy
MODEL_MIN_EFFICIENCY = 0.95

DEFAULT_SIZES_GIB = "1,4"
DEFAULT_CHUNKS_MIB = "1,4,8,16,32,64"
QUICK_SIZE_GIB = 0.25
CHUNK_QUANTUM = 256 * 1024       # the API's rule (publisher.platforms.youtube.upload)
WRITE_BLOCK = 16 * MiB
DISK_RESERVE = GiB               # left free on the file system besides the largest file
PROFILE_TOP = 15
MIMETYPE = "video/mp4"
SERVE_ROLE, UPLOAD_ROLE = "_serve", "_upload"
REPO_ROOT = Path(__file__).resolve().parent.parent

SCRUBBED_ENV = ("PYTHONPROFILEIMPORTTIME", "PYTHONSTARTUP", "PYTHONVERBOSE", "PYTHONDEVMODE",
                "PYTHONTRACEMALLOC", "PYTHONMALLOC", "PUBLISHER_YOUTUBE_API_ROOT",
                "PUBLISHER_GOOGLE_TOKEN_URI")


class BenchmarkError(Exception):
    """A child failed, or an upload did not arrive whole."""


# --- The children ------------------------------------------------------------------------------

def peak_rss_self() -> int:
    """This process's peak RSS in bytes (VmHWM; ru_maxrss where there is no /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return maxrss_bytes(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def maxrss_bytes(ru_maxrss: int) -> int:
    return ru_maxrss if sys.platform == "darwin" else ru_maxrss * 1024


def serve_fake() -> int:
    """The fake, in its own process: prints where it is, then answers one-line commands on
    stdin (`video ID`, `cpu`) with one JSON line each, until stdin closes."""
    from publisher.sandbox.youtube import FakeYouTube

    fake = FakeYouTube(storage="discard", body_timeout=120.0,
                       quota_limits={"videos.insert": 10**9, "default": 10**9})
    with fake:
        print(json.dumps({"root": fake.root, "token_uri": fake.token_uri, "pid": os.getpid(),
                          "user_info": fake.authorized_user_info()}), flush=True)
        for line in sys.stdin:
            words = line.split()
            reply: dict[str, Any]
            if words[:1] == ["video"] and len(words) == 2:
                try:
                    video = fake.video(words[1])
                except KeyError:
                    reply = {"error": f"no video {words[1]}"}
                else:
                    reply = {"size": video.size, "bytes_received": video.bytes_received,
                             "upload_type": video.upload_type}
                fake.clear_requests()  # the log would grow by one record per chunk
            elif words == ["cpu"]:
                # All threads: the accept loop and the connection handlers.
                reply = {"cpu_s": time.process_time(), "errors": len(fake.errors),
                         "peak_rss": peak_rss_self()}
            else:
                reply = {"error": f"unknown command {line.strip()!r}"}
            print(json.dumps(reply), flush=True)
    return 0


class CountingJournal:
    """The pipeline commits these to the database; here they are only counted."""

    def __init__(self) -> None:
        self.sessions = 0
        self.progress_calls = 0

    def session_started(self, uri: str, *, replaces_expired: bool) -> None:
        self.sessions += 1

    def progress(self, offset: int, total: int) -> None:
        self.progress_calls += 1


def upload_child(spec_text: str) -> int:
    """One upload through the product's client, as the pipeline builds it; a JSON report."""
    import publisher
    from publisher.platforms.youtube.auth import load_credentials, refresh
    from publisher.platforms.youtube.client import Endpoints, build_service, make_http
    from publisher.platforms.youtube.metadata import VideoMeta, insert_body
    from publisher.platforms.youtube.upload import upload_video

    spec = json.loads(spec_text)
    endpoints = Endpoints(api_root=spec["root"], token_uri=spec["token_uri"])
    # As publisher.pipeline.runtime.default_youtube_factory: the token is refreshed before
    # the upload starts, so the timed part is the upload alone.
    creds = load_credentials(Path(spec["token_file"]), endpoints)
    http = make_http(creds)
    if not creds.valid:
        refresh(creds, make_http(None))
    service = build_service(http, endpoints)
    meta = VideoMeta(title="Benchmark upload", description="Throughput benchmark",
                     tags=("benchmark",), category_id="22", language="it", privacy="private",
                     made_for_kids=False, synthetic_media=False, license="youtube")
    body, parts = insert_body(meta, None)
    journal = CountingJournal()
    setup_peak = peak_rss_self()
    profiler = None
    if spec["profile"]:
        import cProfile

        profiler = cProfile.Profile()
    cpu0 = time.process_time()
    start = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    video = upload_video(service, http, path=Path(spec["path"]), body=body, parts=parts,
                         journal=journal, chunk_size=spec["chunk_size"], mimetype=MIMETYPE)
    if profiler is not None:
        profiler.disable()
    seconds = time.perf_counter() - start
    report: dict[str, Any] = {
        "seconds": seconds, "cpu_s": time.process_time() - cpu0, "video_id": video["id"],
        "sessions": journal.sessions, "progress_calls": journal.progress_calls,
        "setup_peak_rss": setup_peak, "peak_rss": peak_rss_self(),
        "publisher": str(Path(publisher.__file__).parent)}
    if profiler is not None:
        report["profile"] = top_functions(profiler, PROFILE_TOP)
    print(json.dumps(report))
    return 0


def top_functions(profiler: Any, count: int) -> list[dict[str, Any]]:
    import pstats

    rows = []
    for (filename, line, func), (_cc, calls, tottime, cumtime, _) in \
            pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        where = "/".join(Path(filename).parts[-2:]) if line else ""
        rows.append({"function": f"{where}:{line}({func})" if where else func,
                     "calls": calls, "tottime_s": tottime, "cumtime_s": cumtime})
    rows.sort(key=lambda r: r["tottime_s"], reverse=True)
    return rows[:count]


# --- Running children --------------------------------------------------------------------------

def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    # This checkout's publisher, whatever the virtualenv has installed.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH"))
                                        if p)
    env["PYTHONIOENCODING"] = "utf-8"
    # Loopback traffic must not go through a proxy from the environment (httplib2 uses one).
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


@dataclass
class ChildResult:
    stdout: bytes
    wall_s: float
    cpu_s: float
    peak_rss: int


def run_child(argv: list[str], env: dict[str, str]) -> ChildResult:
    """Run argv to completion; its own peak RSS and CPU from wait4 (this child's alone)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=err, env=env)
        try:
            assert proc.stdout is not None
            out = proc.stdout.read()
            proc.stdout.close()
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            text = err.read().decode("utf-8", "replace").strip()
            raise BenchmarkError(f"`{' '.join(argv[:3])} …` exited with status "
                                 f"{proc.returncode}" + (f":\n{text[-3000:]}" if text else ""))
    return ChildResult(out, wall, usage.ru_utime + usage.ru_stime, maxrss_bytes(usage.ru_maxrss))


class FakeServer:
    """The fake in a child process, and a line protocol to ask it things."""

    def __init__(self, script: Path, env: dict[str, str], errfile: Any) -> None:
        self.proc = subprocess.Popen([sys.executable, str(script), SERVE_ROLE],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=errfile, env=env, text=True, encoding="utf-8")
        self._errfile = errfile
        info = self._read()
        self.root: str = info["root"]
        self.token_uri: str = info["token_uri"]
        self.user_info: dict[str, Any] = info["user_info"]
        self.pid: int = info["pid"]
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=10)
            self._errfile.seek(0)
            text = self._errfile.read().decode("utf-8", "replace").strip()
            raise BenchmarkError(f"the fake exited (status {self.proc.returncode})"
                                 + (f":\n{text[-3000:]}" if text else ""))
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise BenchmarkError(f"the fake answered: {reply['error']}")
        return reply

    def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._read()

    def cpu_s(self) -> float:
        return float(self.ask("cpu")["cpu_s"])

    def check_video(self, video_id: str, size: int) -> int:
        """The video arrived whole; the bytes the fake read for it (re-sent ones included)."""
        video = self.ask(f"video {video_id}")
        if video["size"] != size:
            raise BenchmarkError(f"video {video_id} has {video['size']} bytes, not {size}")
        return int(video["bytes_received"])

    def new_session(self, size: int) -> str:
        """A resumable videos.insert session for curl, made as the client makes one."""
        try:
            return self._new_session(size)
        except (urllib.error.URLError, OSError, KeyError, ValueError) as exc:
            raise BenchmarkError(f"creating a session for curl failed: {exc}") from exc

    def _new_session(self, size: int) -> str:
        info = self.user_info
        form = urllib.parse.urlencode({
            "grant_type": "refresh_token", "refresh_token": info["refresh_token"],
            "client_id": info["client_id"], "client_secret": info["client_secret"]}).encode()
        with self._opener.open(urllib.request.Request(self.token_uri, data=form),
                               timeout=30) as resp:
            token = json.loads(resp.read())["access_token"]
        body = {"snippet": {"title": "Benchmark upload (curl)", "categoryId": "22"},
                "status": {"privacyStatus": "private"}}
        request = urllib.request.Request(
            self.root + "upload/youtube/v3/videos?uploadType=resumable&part=snippet,status",
            data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": f"Bearer {token}",
                     "Content-Type": "application/json; charset=UTF-8",
                     "X-Upload-Content-Type": MIMETYPE, "X-Upload-Content-Length": str(size)})
        with self._opener.open(request, timeout=30) as resp:
            location = resp.headers.get("Location")
        if resp.status != 200 or not location:
            raise BenchmarkError(f"the session POST answered {resp.status} without a Location")
        return str(location)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


# --- Measurements ------------------------------------------------------------------------------

@dataclass
class Sample:
    seconds: float       # the upload, session creation included
    cpu_s: float         # the client's CPU during it (ours: the upload only; curl: its life)
    peak_rss: int        # the client process's peak RSS, bytes
    server_cpu_s: float  # the fake's CPU during it
    puts: int            # data-carrying requests
    bytes_read: int      # what the fake read (re-sent bytes included)
    size: int
    setup_peak_rss: int | None = None  # ours: after imports and building the client

    @property
    def mib_s(self) -> float:
        return self.size / self.seconds / MiB

    def as_json(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "mib_s": self.mib_s, "cpu_s": self.cpu_s,
                "peak_rss": self.peak_rss, "setup_peak_rss": self.setup_peak_rss,
                "server_cpu_s": self.server_cpu_s, "puts": self.puts,
                "bytes_read_by_fake": self.bytes_read}


@dataclass
class Series:
    client: str          # "curl -T" or "publisher"
    size: int
    chunk: int | None    # None: curl's single PUT
    samples: list[Sample] = field(default_factory=list)

    @property
    def label(self) -> str:
        return "single PUT" if self.chunk is None else fmt_mib(self.chunk)

    def _rates(self) -> list[float]:
        return [s.mib_s for s in self.samples]

    @property
    def median(self) -> float:
        return statistics.median(self._rates())

    @property
    def minimum(self) -> float:
        return min(self._rates())

    @property
    def maximum(self) -> float:
        return max(self._rates())

    @property
    def peak_rss(self) -> int:
        return max(s.peak_rss for s in self.samples)

    @property
    def cpu_share(self) -> float:
        return statistics.median(s.cpu_s / s.seconds for s in self.samples)

    @property
    def cpu_per_gib(self) -> float:
        return statistics.median(s.cpu_s / (s.size / GiB) for s in self.samples)

    @property
    def server_share(self) -> float:
        return statistics.median(s.server_cpu_s / s.seconds for s in self.samples)

    def as_json(self) -> dict[str, Any]:
        return {"client": self.client, "size": self.size, "chunk_size": self.chunk,
                "median_mib_s": self.median, "min_mib_s": self.minimum,
                "max_mib_s": self.maximum, "peak_rss": self.peak_rss,
                "client_cpu_share": self.cpu_share, "client_cpu_s_per_gib": self.cpu_per_gib,
                "server_cpu_share": self.server_share,
                "samples": [s.as_json() for s in self.samples]}


@dataclass
class Bench:
    args: argparse.Namespace
    server: FakeServer
    env: dict[str, str]
    workdir: Path
    token_file: Path
    curl: str
    warnings: list[str] = field(default_factory=list)

    def curl_upload(self, path: Path, size: int) -> Sample:
        start = time.perf_counter()
        uri = self.server.new_session(size)
        session_s = time.perf_counter() - start
        reply_file = self.workdir / "curl-reply.json"
        cpu0 = self.server.cpu_s()
        result = run_child(
            [self.curl, "--silent", "--show-error", "--noproxy", "*", "--output",
             str(reply_file), "--write-out", "%{http_code} %{size_upload} %{time_total}",
             "--header", "Expect:", "--header", f"Content-Type: {MIMETYPE}",
             "--header", f"Content-Range: bytes 0-{size - 1}/{size}",
             "--upload-file", str(path), uri], self.env)
        server_cpu = self.server.cpu_s() - cpu0
        code, uploaded, total = result.stdout.decode().split()
        if code != "200" or int(uploaded) != size:
            raise BenchmarkError(f"curl: status {code}, {uploaded} bytes sent of {size}: "
                                 f"{reply_file.read_text(errors='replace')[:500]}")
        video_id = json.loads(reply_file.read_text())["id"]
        bytes_read = self.server.check_video(video_id, size)
        self._check_resent("curl", bytes_read, size)
        return Sample(session_s + float(total), result.cpu_s, result.peak_rss, server_cpu, 1,
                      bytes_read, size)

    def our_upload(self, path: Path, size: int, chunk: int, *, profile: bool = False
                   ) -> tuple[Sample, dict[str, Any]]:
        spec = {"root": self.server.root, "token_uri": self.server.token_uri,
                "token_file": str(self.token_file), "path": str(path), "chunk_size": chunk,
                "profile": profile}
        cpu0 = self.server.cpu_s()
        result = run_child([sys.executable, str(Path(__file__).resolve()), UPLOAD_ROLE,
                            json.dumps(spec)], self.env)
        server_cpu = self.server.cpu_s() - cpu0
        report = json.loads(result.stdout.decode().strip().splitlines()[-1])
        bytes_read = self.server.check_video(report["video_id"], size)
        self._check_resent("publisher", bytes_read, size)
        if report["sessions"] != 1:
            raise BenchmarkError(f"the uploader started {report['sessions']} sessions, not 1")
        return Sample(report["seconds"], report["cpu_s"], result.peak_rss, server_cpu,
                      report["progress_calls"], bytes_read, size,
                      setup_peak_rss=report["setup_peak_rss"]), report

    def _check_resent(self, who: str, bytes_read: int, size: int) -> None:
        if bytes_read != size:
            self.warnings.append(f"{who}: the fake read {bytes_read:,} bytes for a "
                                 f"{size:,}-byte file (something was re-sent)")


# --- Formatting --------------------------------------------------------------------------------

def fmt_mib(n: float) -> str:
    if n >= GiB and n % GiB == 0:
        return f"{n // GiB:.0f} GiB"
    value = n / MiB
    return f"{value:g} MiB"


def fmt_size(n: int) -> str:
    return f"{n / GiB:g} GiB" if n >= GiB else f"{n / MiB:g} MiB"


def rss_mib(n: int) -> str:
    return f"{n / MiB:.1f}"


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):
        return "unknown"


def link_efficiency(chunk: int) -> float:
    """Modelled share of time the reference link is busy: each chunk is sent, then the
    uploader waits one round trip for the 308 before it sends the next."""
    send_s = chunk * 8 / (MODEL_LINK_MBIT * 1e6)
    return send_s / (send_s + MODEL_RTT_MS / 1000)


# --- Main --------------------------------------------------------------------------------------

def parse_list(text: str, unit: int, what: str) -> list[int]:
    values = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            number = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what}: {part!r} is not a number") from None
        if number <= 0:
            raise argparse.ArgumentTypeError(f"{what}: {part!r} must be positive")
        values.append(round(number * unit))
    if not values:
        raise argparse.ArgumentTypeError(f"{what}: no values")
    return sorted(set(values))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Upload throughput and peak RSS of the YouTube uploader, against curl -T, "
                    "on the loopback fake (discarding the bytes).")
    parser.add_argument("--sizes", default=DEFAULT_SIZES_GIB, metavar="GIB,…",
                        help=f"file sizes in GiB (default {DEFAULT_SIZES_GIB})")
    parser.add_argument("--chunk-sizes", default=DEFAULT_CHUNKS_MIB, metavar="MIB,…",
                        help=f"our chunk sizes to compare, in MiB, multiples of 0.25 "
                             f"(default {DEFAULT_CHUNKS_MIB}; empty: skip the comparison)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="timed uploads of each kind (default 5)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="untimed uploads of each client per file first (default 1)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: one {QUICK_SIZE_GIB * 1024:g} MiB file, --repeat 1, "
                             "no warm-up")
    parser.add_argument("--sparse", action="store_true",
                        help="sparse files (all zeros, no disk writes) instead of random bytes")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                        help="run one more upload under cProfile and print the top functions: "
                             "auto (default) when the throughput target is missed")
    parser.add_argument("--tmpdir", type=Path, help="where to make the files (default: "
                                                    "the system's temporary directory)")
    parser.add_argument("--json-out", metavar="FILE", type=Path,
                        help="also write the figures as JSON to FILE")
    args = parser.parse_args(argv)
    try:
        args.size_list = parse_list(str(QUICK_SIZE_GIB) if args.quick else args.sizes, GiB,
                                    "--sizes")
        args.chunk_list = (parse_list(args.chunk_sizes, MiB, "--chunk-sizes")
                           if args.chunk_sizes.strip() else [])
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    bad = [c for c in args.chunk_list if c % CHUNK_QUANTUM]
    if bad:
        parser.error("--chunk-sizes must be multiples of 256 KiB (0.25 MiB); found "
                     + ", ".join(f"{c / MiB:g}" for c in bad))
    if args.quick:
        args.repeat, args.warmup = 1, 0
    if args.repeat < 1 or args.warmup < 0:
        parser.error("--repeat must be >= 1 and --warmup >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [SERVE_ROLE]:
        return serve_fake()
    if argv[:1] == [UPLOAD_ROLE] and len(argv) == 2:
        return upload_child(argv[1])
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="publisher-upload-bench-", dir=args.tmpdir))
    try:
        return benchmark(args, workdir)
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def make_file(path: Path, size: int, sparse: bool) -> float:
    start = time.perf_counter()
    with path.open("wb") as fh:
        if sparse:
            fh.truncate(size)
        else:
            left = size
            while left:
                n = min(WRITE_BLOCK, left)
                fh.write(os.urandom(n))
                left -= n
        fh.flush()
        os.fsync(fh.fileno())  # no write-back of this file during the timed uploads
    return time.perf_counter() - start


def preflight(args: argparse.Namespace, workdir: Path) -> str:
    curl = shutil.which("curl")
    if curl is None:
        raise BenchmarkError("curl is not installed: it is the reference")
    if not hasattr(os, "wait4"):
        raise BenchmarkError("this platform has no os.wait4 (peak RSS of a child)")
    largest = max(args.size_list)
    need = (0 if args.sparse else largest) + DISK_RESERVE
    disk = shutil.disk_usage(workdir)
    print(f"Disk ({workdir.parent}, as df): {disk.total / GiB:.1f} GiB, {disk.used / GiB:.1f} "
          f"GiB used, {disk.free / GiB:.1f} GiB free; need {need / GiB:.1f} GiB (one file at "
          f"a time, the largest {fmt_size(largest)}{', sparse' if args.sparse else ''}, "
          f"+ {DISK_RESERVE / GiB:g} GiB spare)")
    if disk.free < need:
        raise BenchmarkError(f"not enough free space in {workdir.parent}: use --tmpdir, "
                             "smaller --sizes, --sparse or --quick")
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        ram = 0
    if ram and largest > ram // 2:
        print(f"note: the {fmt_size(largest)} file may not stay in the page cache "
              f"({ram / GiB:.1f} GiB of RAM): both clients then read it from disk")
    return curl


def benchmark(args: argparse.Namespace, workdir: Path) -> int:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))  # the children use this checkout too
    from publisher.platforms.youtube.upload import DEFAULT_CHUNK_SIZE

    curl = preflight(args, workdir)
    curl_version = subprocess.run([curl, "--version"], capture_output=True, text=True,
                                  check=False).stdout.split("\n", 1)[0]
    print(f"Python {platform.python_version()} ({sys.executable}) on {platform.platform()}, "
          f"{os.cpu_count()} CPUs, load average {load_average()}")
    print(f"Reference: {curl_version}")
    env = child_env()
    sweep_size = next((s for s in args.size_list if s >= GiB), max(args.size_list))
    content = "sparse (all zeros)" if args.sparse else "random (os.urandom)"
    print(f"Files: {', '.join(fmt_size(s) for s in args.size_list)}, {content}; our chunk "
          f"size: {fmt_mib(DEFAULT_CHUNK_SIZE)} (the product default); chunk sizes compared "
          f"on the {fmt_size(sweep_size)} file: "
          f"{', '.join(fmt_mib(c) for c in args.chunk_list) or 'none'}")

    with tempfile.TemporaryFile() as server_err:
        server = FakeServer(Path(__file__).resolve(), env, server_err)
        try:
            token_file = workdir / "youtube-token.json"
            token_file.write_text(json.dumps(server.user_info), encoding="utf-8")
            bench = Bench(args, server, env, workdir, token_file, curl)
            print(f"Fake: {server.root} (pid {server.pid}, storage=discard)\n")
            result = run_all(bench, DEFAULT_CHUNK_SIZE, sweep_size)
            errors = server.ask("cpu")["errors"]
            if errors:
                bench.warnings.append(f"the fake logged {errors} handler crash(es)")
        finally:
            server.close()
    report(args, bench, result, DEFAULT_CHUNK_SIZE, sweep_size, curl_version)
    return 0


@dataclass
class Results:
    comparison: list[tuple[Series, Series]] = field(default_factory=list)  # (curl, ours)
    sweep: list[Series] = field(default_factory=list)
    profile: dict[str, Any] | None = None
    setup_peak_rss: int = 0
    publisher_path: str = ""
    make_file_s: dict[int, float] = field(default_factory=dict)


def run_all(bench: Bench, default_chunk: int, sweep_size: int) -> Results:
    args = bench.args
    results = Results()
    for size in args.size_list:
        path = bench.workdir / f"video-{size}.bin"
        seconds = make_file(path, size, args.sparse)
        results.make_file_s[size] = seconds
        print(f"[{fmt_size(size)}] file written in {seconds:.1f} s")
        try:
            curl_series = Series("curl -T", size, None)
            ours = Series("publisher", size, default_chunk)
            for _ in range(args.warmup):
                bench.curl_upload(path, size)
                bench.our_upload(path, size, default_chunk)
            # Alternate which client goes first, so that drift on the machine hits both.
            for i in range(args.repeat):
                for who in (("curl", "ours") if i % 2 == 0 else ("ours", "curl")):
                    if who == "curl":
                        sample = bench.curl_upload(path, size)
                        curl_series.samples.append(sample)
                    else:
                        sample, info = bench.our_upload(path, size, default_chunk)
                        ours.samples.append(sample)
                        results.setup_peak_rss = max(results.setup_peak_rss,
                                                     info["setup_peak_rss"])
                        results.publisher_path = info["publisher"]
                    print(f"[{fmt_size(size)}] {who:<4} run {i + 1}/{args.repeat}: "
                          f"{sample.mib_s:7.0f} MiB/s, peak RSS {rss_mib(sample.peak_rss)} MiB")
            results.comparison.append((curl_series, ours))
            if size == sweep_size:
                ratio = ours.median / curl_series.median
                if args.profile == "always" or (args.profile == "auto"
                                                and ratio < THROUGHPUT_TARGET):
                    print(f"[{fmt_size(size)}] profiling one upload ({ratio:.2f} × curl)")
                    sample, info = bench.our_upload(path, size, default_chunk, profile=True)
                    results.profile = {"size": size, "chunk_size": default_chunk,
                                       "mib_s_under_profiler": sample.mib_s,
                                       "top_by_tottime": info["profile"]}
                results.sweep = run_sweep(bench, path, size)
        finally:
            path.unlink(missing_ok=True)
    return results


def run_sweep(bench: Bench, path: Path, size: int) -> list[Series]:
    chunks = bench.args.chunk_list
    series = {c: Series("publisher", size, c) for c in chunks}
    for i in range(bench.args.repeat):
        for k in range(len(chunks)):  # rotated every round, as in cli_startup.py
            chunk = chunks[(i + k) % len(chunks)]
            sample, _ = bench.our_upload(path, size, chunk)
            series[chunk].samples.append(sample)
            print(f"[{fmt_size(size)}] chunk {fmt_mib(chunk):>8} run {i + 1}/"
                  f"{bench.args.repeat}: {sample.mib_s:7.0f} MiB/s, peak RSS "
                  f"{rss_mib(sample.peak_rss)} MiB")
    return [series[c] for c in chunks]


def recommend(sweep: list[Series]) -> tuple[Series | None, str]:
    """The smallest chunk size as fast as the fastest (within RECOMMEND_WITHIN of its median,
    or within the range of its runs), among those that keep the model link busy enough (all
    of them if none does)."""
    if not sweep:
        return None, "no chunk sizes compared"
    fit = [s for s in sweep if s.chunk is not None
           and link_efficiency(s.chunk) >= MODEL_MIN_EFFICIENCY]
    link = (f"a {MODEL_LINK_MBIT:g} Mbit/s link with {MODEL_RTT_MS:g} ms round trips "
            f"≥ {MODEL_MIN_EFFICIENCY:.0%} busy")
    if fit:
        among = f"among the sizes that keep {link}"
    else:
        fit, among = sweep, f"no size compared keeps {link}; among all"
    best = max(fit, key=lambda s: s.median)
    # As fast: within RECOMMEND_WITHIN of the fastest median, or inside its runs' range
    # (on a noisy machine the fastest median can be one lucky series).
    floor = min(RECOMMEND_WITHIN * best.median, best.minimum)
    chosen = next(s for s in fit if s.median >= floor)
    return chosen, (f"{among}, the smallest as fast as the fastest ({best.label}: median "
                    f"{best.median:.0f} MiB/s, runs from {best.minimum:.0f}; as fast = a "
                    f"median ≥ {floor:.0f} MiB/s); a crash re-sends at most {chosen.label}, "
                    f"and progress is saved every {chosen.label}")


def report(args: argparse.Namespace, bench: Bench, res: Results, default_chunk: int,
           sweep_size: int, curl_version: str) -> None:
    print("\nThroughput (MiB/s over the whole upload, session creation included; RSS of the "
          "client process):")
    header = (f"{'size':>8} {'client':<10} {'chunk':>10} {'median':>8} {'min':>7} {'max':>7} "
              f"{'× curl':>7} {'peak RSS MiB':>13} {'CPU s/GiB':>10} {'client CPU':>11} "
              f"{'fake CPU':>9}")
    print(header)
    print("-" * len(header))
    for curl_s, ours in res.comparison:
        for s in (curl_s, ours):
            print(f"{fmt_size(s.size):>8} {s.client:<10} {s.label:>10} {s.median:>8.0f} "
                  f"{s.minimum:>7.0f} {s.maximum:>7.0f} {s.median / curl_s.median:>7.2f} "
                  f"{rss_mib(s.peak_rss):>13} {s.cpu_per_gib:>10.2f} {s.cpu_share:>11.0%} "
                  f"{s.server_share:>9.0%}")
    print(f"(our RSS after imports and building the client, before the upload: "
          f"{rss_mib(res.setup_peak_rss)} MiB; CPU s/GiB: the client's CPU seconds per GiB "
          "sent; client/fake CPU: CPU seconds / upload seconds; all medians)")

    sweep_curl = next((c for c, _ in res.comparison if c.size == sweep_size), None)
    chosen, why = recommend(res.sweep)
    if res.sweep and sweep_curl is not None:
        print(f"\nOur chunk sizes on the {fmt_size(sweep_size)} file (curl -T median "
              f"{sweep_curl.median:.0f} MiB/s):")
        header = (f"{'chunk':>8} {'PUTs':>6} {'median':>8} {'min':>7} {'max':>7} "
                  f"{'× curl':>7} {'peak RSS MiB':>13} {'CPU s/GiB':>10} {'client CPU':>11} "
                  f"{'fake CPU':>9} {'link model':>11}")
        print(header)
        print("-" * len(header))
        for s in res.sweep:
            assert s.chunk is not None
            mark = " <- recommended" if s is chosen else ""
            mark += " (default)" if s.chunk == default_chunk else ""
            print(f"{s.label:>8} {s.samples[0].puts:>6} {s.median:>8.0f} {s.minimum:>7.0f} "
                  f"{s.maximum:>7.0f} {s.median / sweep_curl.median:>7.2f} "
                  f"{rss_mib(s.peak_rss):>13} {s.cpu_per_gib:>10.2f} {s.cpu_share:>11.0%} "
                  f"{s.server_share:>9.0%} {link_efficiency(s.chunk):>11.1%}{mark}")
        print(f"(link model: share of time a {MODEL_LINK_MBIT:g} Mbit/s link with "
              f"{MODEL_RTT_MS:g} ms round trips is busy, when each chunk waits for its answer "
              "before the next is sent: computed, not measured)")
        if chosen is not None:
            print(f"Recommended default chunk size: {chosen.label}: {why}.")

    print("\nTargets:")
    targets: list[dict[str, Any]] = []

    def target(label: str, ok: bool | None, detail: str) -> None:
        verdict = "n/a " if ok is None else ("PASS" if ok else "MISS")
        targets.append({"target": label, "pass": ok, "detail": detail})
        print(f"  {verdict}  {label:<42} {detail}")

    for curl_s, ours in res.comparison:
        ratio = ours.median / curl_s.median
        target(f"throughput ≥ {THROUGHPUT_TARGET} × curl ({fmt_size(ours.size)})",
               ratio >= THROUGHPUT_TARGET,
               f"{ratio:.2f} × ({ours.median:.0f} vs {curl_s.median:.0f} MiB/s, medians; "
               f"best runs {ours.maximum / curl_s.maximum:.2f} ×)")
    for _, ours in res.comparison:
        target(f"peak RSS ≤ {RSS_TARGET_BYTES / MB:g} MB ({fmt_size(ours.size)})",
               ours.peak_rss <= RSS_TARGET_BYTES,
               f"{ours.peak_rss / MB:.1f} MB ({rss_mib(ours.peak_rss)} MiB)")
    peaks = [ours.peak_rss for _, ours in res.comparison]
    if len(peaks) >= 2:
        spread = max(peaks) - min(peaks)
        allowed = max(RSS_SAME_REL * min(peaks), RSS_SAME_ABS)
        target("peak RSS the same for every size", spread <= allowed,
               f"spread {spread / MiB:.1f} MiB (allowed {allowed / MiB:.1f} MiB: "
               f"{RSS_SAME_REL:.0%} or {RSS_SAME_ABS / MiB:g} MiB)")
    else:
        target("peak RSS the same for every size", None, "one size only")
    if res.sweep:
        for s in res.sweep:
            if s.peak_rss > RSS_TARGET_BYTES:
                print(f"  note: at {s.label} chunks the peak RSS is {s.peak_rss / MB:.1f} MB")

    if res.profile is not None:
        print(f"\nOne upload of the {fmt_size(res.profile['size'])} file under cProfile "
              f"({fmt_mib(res.profile['chunk_size'])} chunks, "
              f"{res.profile['mib_s_under_profiler']:.0f} MiB/s with the profiler's overhead), "
              f"top {PROFILE_TOP} by own time:")
        print(f"  {'own s':>7} {'cum s':>7} {'calls':>9}  function")
        for row in res.profile["top_by_tottime"]:
            print(f"  {row['tottime_s']:>7.3f} {row['cumtime_s']:>7.3f} {row['calls']:>9}  "
                  f"{row['function']}")

    for warning in bench.warnings:
        print(f"warning: {warning}")
    print(f"\nLoad average after the runs: {load_average()} (figures from a busy machine are "
          "not comparable)")

    if args.json_out:
        data = {
            "python": platform.python_version(), "executable": sys.executable,
            "platform": platform.platform(), "cpu_count": os.cpu_count(),
            "curl": curl_version, "publisher": res.publisher_path,
            "load_average_after": load_average(),
            "files": {"sizes": args.size_list, "content": "sparse" if args.sparse else
                      "random", "write_s": {str(k): v for k, v in res.make_file_s.items()}},
            "repeat": args.repeat, "warmup": args.warmup,
            "default_chunk_size": default_chunk,
            "setup_peak_rss": res.setup_peak_rss,
            "comparison": [{"curl": c.as_json(), "publisher": o.as_json(),
                            "ratio": o.median / c.median,
                            "best_ratio": o.maximum / c.maximum} for c, o in res.comparison],
            "chunk_sweep": {"size": sweep_size, "series": [s.as_json() for s in res.sweep],
                            "link_model": {"mbit_s": MODEL_LINK_MBIT, "rtt_ms": MODEL_RTT_MS},
                            "recommended": chosen.chunk if chosen else None,
                            "why": why},
            "targets": targets, "profile": res.profile, "warnings": bench.warnings,
        }
        args.json_out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n",
                                 encoding="utf-8")
        print(f"Figures written to {args.json_out}")


if __name__ == "__main__":
    sys.exit(main())
