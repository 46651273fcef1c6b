"""Upload throughput, CPU and memory of publisher's YouTube uploader beside `curl -T`, against
a receiver that is not the bottleneck, directly and through links like real ones; and how soon
a restarted upload sends its next byte.

Run with the Python of the virtualenv where publisher is installed:

    python benchmarks/upload_throughput.py [--size-gib 1] [--repeat 3]
                                           [--links 100:30,1000:30] [--link-seconds 15]
                                           [--resume-gib 4] [--json-out FILE] [--quick]
                                           [--compare-with OTHER_CHECKOUT/.venv/bin/python]

Every piece runs in a process of its own (this script in another role), so nobody's CPU or
memory is counted against anybody else's:

    receiver     benchmarks/upload_net.py's Receiver: speaks enough of the resumable protocol
                 for publisher's client, reads every body and throws it away
    link         a proxy with a bandwidth cap and a round-trip delay (`--links MBIT:RTT_MS`)
    ceiling      a zero-copy sender: one PUT of the whole file with os.sendfile
    curl         `curl -T FILE` to a resumable session: one PUT of the whole file
    publisher    a fresh Python process (upload_child.py): the product's client (make_http,
                 build_service) and
                 upload_video with its defaults (chunks sized to the link); once as the
                 transport alone, once as the pipeline runs it (the bytes hashed while sent,
                 the last piece held until the hash matches the queued sha256)

Peak memory is taken the same way for both clients: `/usr/bin/time` around the process. The
exit status is non-zero only when something fails to run; targets are PASS or MISS.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MiB = 1024**2
GiB = 1024**3

THROUGHPUT_TARGET = 0.9   # publisher's median throughput / curl's, on every path
CPU_TARGET = 1.2          # publisher's CPU seconds per GiB / curl's, on the receiver
RESUME_TARGET_S = 1.0     # a restarted upload's next byte, from the process's start
WRITE_BLOCK = 16 * MiB
MIMETYPE = "video/mp4"
TIME = "/usr/bin/time"
HERE = Path(__file__).resolve().parent
CHILD = HERE / "upload_child.py"  # publisher's side: a process of its own, nothing else
REPO_ROOT = HERE.parent
# PYTHONDONTWRITEBYTECODE too: an installed publisher has its bytecode cached; without the
# cache the resumed process compiles publisher's modules from source before its first byte.
SCRUBBED_ENV = ("PYTHONPROFILEIMPORTTIME", "PYTHONSTARTUP", "PYTHONVERBOSE", "PYTHONDEVMODE",
                "PYTHONTRACEMALLOC", "PYTHONMALLOC", "PUBLISHER_YOUTUBE_API_ROOT",
                "PUBLISHER_GOOGLE_TOKEN_URI", "PYTHONDONTWRITEBYTECODE")


class BenchmarkError(Exception):
    """A child failed, or an upload did not arrive whole."""


# --- The publisher child -------------------------------------------------------------------------

def sendfile_child(spec_text: str) -> int:
    from upload_net import sendfile_put  # type: ignore[import-not-found]

    spec = json.loads(spec_text)
    print(json.dumps(sendfile_put(spec["port"], spec["uri_path"], spec["path"], spec["size"])))
    return 0


# --- Running children ----------------------------------------------------------------------------

def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), str(HERE),
                                                    env.get("PYTHONPATH")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


@dataclass
class Timed:
    stdout: str
    wall_s: float
    cpu_s: float      # user + system, the whole process (/usr/bin/time)
    peak_rss: int     # bytes (/usr/bin/time %M)


def run_timed(argv: list[str], env: dict[str, str], workdir: Path) -> Timed:
    """argv under /usr/bin/time: its wall time, CPU and peak RSS, the same way for all."""
    out_file = workdir / "time.out"
    proc = subprocess.run([TIME, "-f", "%e %U %S %M", "-o", str(out_file), *argv],
                          capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise BenchmarkError(f"`{' '.join(argv[:3])} …` exited with status {proc.returncode}:"
                             f"\n{proc.stderr[-3000:]}")
    wall, user, system, rss_kib = out_file.read_text().split()[-4:]
    return Timed(proc.stdout, float(wall), float(user) + float(system), int(rss_kib) * 1024)


class Child:
    """A serving child (receiver or link): its port, and a line protocol to ask it things."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=env, text=True)
        info = self._read()
        self.port: int = info["port"]
        self.pid: int = info["pid"]

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise BenchmarkError(f"a child exited (status {self.proc.wait()})")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise BenchmarkError(reply["error"])
        return reply

    def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._read()

    def cpu_s(self) -> float:
        return float(self.ask("cpu")["cpu_s"])

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- Measurements --------------------------------------------------------------------------------

@dataclass
class Sample:
    seconds: float
    cpu_s: float          # the client's CPU for the upload (publisher: in-child, upload only)
    peak_rss: int         # /usr/bin/time
    server_cpu_s: float   # the receiver's
    chunks: int
    size: int

    @property
    def mib_s(self) -> float:
        return self.size / self.seconds / MiB


@dataclass
class Series:
    client: str
    path: str             # "receiver" or the link's label
    size: int
    samples: list[Sample] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(s.mib_s for s in self.samples)

    @property
    def cpu_per_gib(self) -> float:
        return statistics.median(s.cpu_s / (s.size / GiB) for s in self.samples)

    @property
    def peak_rss(self) -> int:
        return max(s.peak_rss for s in self.samples)

    @property
    def server_share(self) -> float:
        return statistics.median(s.server_cpu_s / s.seconds for s in self.samples)

    def as_json(self) -> dict[str, Any]:
        return {"client": self.client, "path": self.path, "size": self.size,
                "median_mib_s": self.median, "cpu_s_per_gib": self.cpu_per_gib,
                "peak_rss": self.peak_rss, "receiver_cpu_share": self.server_share,
                "samples": [vars(s) for s in self.samples]}


@dataclass
class Bench:
    args: argparse.Namespace
    receiver: Child
    env: dict[str, str]
    workdir: Path
    curl: str
    warnings: list[str] = field(default_factory=list)

    def session(self, port: int, size: int) -> str:
        """A session for curl (or the ceiling), opened through `port` as the client would."""
        import urllib.request

        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/upload/youtube/v3/videos?uploadType=resumable"
            "&part=snippet,status", data=b"{}", method="POST",
            headers={"X-Upload-Content-Type": MIMETYPE, "X-Upload-Content-Length": str(size),
                     "Content-Type": "application/json"})
        with opener.open(request, timeout=30) as resp:
            return str(resp.headers["Location"])

    def check(self, who: str, session_id: str, size: int) -> dict[str, Any]:
        got = self.receiver.ask(f"session {session_id}")
        if got["received"] != size:
            raise BenchmarkError(f"{who}: the receiver holds {got['received']} of {size} bytes")
        if got["bytes_read"] != size:
            self.warnings.append(f"{who}: {got['bytes_read'] - size} bytes re-sent")
        return got

    def ceiling(self, path: Path, size: int) -> Sample:
        uri = self.session(self.receiver.port, size)
        cpu0 = self.receiver.cpu_s()
        spec = {"port": self.receiver.port, "uri_path": uri.split(str(self.receiver.port), 1)[1],
                "path": str(path), "size": size}
        timed = run_timed([sys.executable, str(Path(__file__)), "_sendfile", json.dumps(spec)],
                          self.env, self.workdir)
        report = json.loads(timed.stdout.strip().splitlines()[-1])
        server = self.receiver.cpu_s() - cpu0
        self.check("ceiling", uri.rsplit("=", 1)[1], size)
        return Sample(report["seconds"], report["cpu_s"], timed.peak_rss, server, 1, size)

    def curl_upload(self, path: Path, size: int, port: int) -> Sample:
        start = time.perf_counter()
        uri = self.session(port, size)
        session_s = time.perf_counter() - start
        cpu0 = self.receiver.cpu_s()
        timed = run_timed(
            [self.curl, "--silent", "--show-error", "--noproxy", "*", "--output", "/dev/null",
             "--write-out", "%{http_code} %{size_upload} %{time_total}",
             "--header", "Expect:", "--header", f"Content-Type: {MIMETYPE}",
             "--header", f"Content-Range: bytes 0-{size - 1}/{size}",
             "--upload-file", str(path), uri], self.env, self.workdir)
        server = self.receiver.cpu_s() - cpu0
        code, uploaded, total = timed.stdout.split()
        if code != "200" or int(uploaded) != size:
            raise BenchmarkError(f"curl: status {code}, {uploaded} bytes sent of {size}")
        self.check("curl", uri.rsplit("=", 1)[1], size)
        return Sample(session_s + float(total), timed.cpu_s, timed.peak_rss, server, 1, size)

    def python(self, before: bool) -> tuple[str, dict[str, str]]:
        """The interpreter and environment of this checkout's publisher, or (before) of the
        one given with --compare-with (its own `import publisher`: this checkout is not on
        its PYTHONPATH)."""
        if not before:
            return sys.executable, self.env
        env = dict(self.env)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in env["PYTHONPATH"].split(os.pathsep) if p and Path(p) != REPO_ROOT)
        return str(self.args.compare_with), env

    def our_upload(self, path: Path, size: int, port: int, sha256: str | None,
                   before: bool = False) -> tuple[Sample, dict[str, Any]]:
        spec: dict[str, Any] = {"root": f"http://127.0.0.1:{port}/", "path": str(path),
                                "sha256": sha256}
        if self.args.chunk_mib:
            spec["chunk_size"] = int(self.args.chunk_mib * MiB)
        python, env = self.python(before)
        cpu0 = self.receiver.cpu_s()
        timed = run_timed([python, str(CHILD), json.dumps(spec)], env, self.workdir)
        server = self.receiver.cpu_s() - cpu0
        report = json.loads(timed.stdout.strip().splitlines()[-1])
        if report["sessions"] != 1:
            raise BenchmarkError(f"publisher started {report['sessions']} sessions, not 1")
        if (Path(report["publisher"]).resolve() == (REPO_ROOT / "publisher").resolve()) \
                == before:
            raise BenchmarkError(f"{'before' if before else 'this checkout'}: "
                                 f"`import publisher` found {report['publisher']}")
        self.check("publisher", report["video_id"], size)
        return Sample(report["seconds"], report["cpu_s"], timed.peak_rss, server,
                      report["chunks"], size), report


def make_file(path: Path, size: int, sparse: bool) -> None:
    with path.open("wb") as fh:
        if sparse:
            fh.truncate(size)
            return
        left = size
        while left:
            n = min(WRITE_BLOCK, left)
            fh.write(os.urandom(n))
            left -= n
        fh.flush()
        os.fsync(fh.fileno())


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(WRITE_BLOCK):
            h.update(block)
    return h.hexdigest()


# --- The runs ------------------------------------------------------------------------------------

CLIENTS = ("curl", "publisher", "publisher+sha256")
BEFORE = "before: "  # the other checkout's rows (--compare-with)


def compare(bench: Bench, path: Path, size: int, port: int, label: str, sha: str,
            with_ceiling: bool) -> dict[str, Series]:
    clients = CLIENTS + ((f"{BEFORE}publisher", f"{BEFORE}publisher+sha256")
                         if bench.args.compare_with else ())
    series = {c: Series(c, label, size) for c in (("ceiling",) if with_ceiling else ())
              + clients}
    order = list(series)
    for i in range(bench.args.repeat):
        rotated = order[i % len(order):] + order[:i % len(order)]  # drift hits all alike
        for who in rotated:
            if who == "ceiling":
                sample = bench.ceiling(path, size)
            elif who == "curl":
                sample = bench.curl_upload(path, size, port)
            else:
                sample, _ = bench.our_upload(path, size, port,
                                             sha if who.endswith("+sha256") else None,
                                             before=who.startswith(BEFORE))
            series[who].samples.append(sample)
            print(f"[{label}] {who:<24} run {i + 1}/{bench.args.repeat}: "
                  f"{sample.mib_s:8.1f} MiB/s, {sample.cpu_s / (size / GiB):5.2f} CPU s/GiB, "
                  f"peak RSS {sample.peak_rss / MiB:6.1f} MiB, {sample.chunks} chunk(s)",
                  flush=True)
    return series


def resume_row(bench: Bench, size: int, before: bool = False) -> dict[str, Any]:
    """A restarted upload of a `size` sparse file, 256 MiB short of its end: how soon after its
    process starts does its next byte reach the receiver? (`before`: the other checkout's.)"""
    path = bench.workdir / "resume.bin"
    make_file(path, size, sparse=True)
    try:
        t0 = time.perf_counter()
        sha = sha256_of(path)
        full_hash_s = time.perf_counter() - t0
        uri = bench.session(bench.receiver.port, size)
        sid = uri.rsplit("=", 1)[1]
        done = size - 256 * MiB
        bench.receiver.ask(f"prefill {sid} {done}")
        spec = {"root": f"http://127.0.0.1:{bench.receiver.port}/", "path": str(path),
                "sha256": sha, "session": uri, "spawned_at": time.time()}
        python, env = bench.python(before)
        spawned = time.time()
        timed = run_timed([python, str(CHILD), json.dumps(spec)], env, bench.workdir)
        report = json.loads(timed.stdout.strip().splitlines()[-1])
        got = bench.receiver.ask(f"session {sid}")
        if got["received"] != size:
            raise BenchmarkError(f"resume: the receiver holds {got['received']} of {size}")
        first = float(got["first_byte_at"])
        return {"size": size, "resumed_at": done, "first_byte_after_start_s": first - spawned,
                "first_byte_after_call_s": first - report["call_at"],
                "imports_s": report["imports_s"], "whole_upload_s": timed.wall_s,
                "cpu_before_call_s": report.get("cpu_before_call_s"),
                "full_hash_s": full_hash_s}
    finally:
        path.unlink(missing_ok=True)


def link_label(mbit: float, rtt: float) -> str:
    return f"{mbit:g} Mbit/s {rtt:g} ms"


def benchmark(args: argparse.Namespace, workdir: Path) -> int:
    curl = shutil.which("curl")
    if curl is None or not Path(TIME).exists():
        raise BenchmarkError("curl and /usr/bin/time must be installed")
    env = child_env()
    curl_version = subprocess.run([curl, "--version"], capture_output=True, text=True,
                                  check=False).stdout.split("\n", 1)[0]
    print(f"Python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs,"
          f" load average {load_average()}\nReference: {curl_version}")
    me = [sys.executable, str(Path(__file__))]
    receiver = Child([*me, "_receive"], env)
    bench = Bench(args, receiver, env, workdir, curl)
    results: dict[str, Any] = {"series": [], "resume": None, "resume_before": None}
    try:
        size = int(args.size_gib * GiB)
        path = workdir / "video.bin"
        make_file(path, size, args.sparse)
        sha = sha256_of(path)
        print(f"Receiver pid {receiver.pid}; file {size / MiB:g} MiB "
              f"({'sparse' if args.sparse else 'random'})", flush=True)
        direct = compare(bench, path, size, receiver.port, "receiver", sha, True)
        results["series"] += list(direct.values())
        for mbit, rtt in args.link_list:
            link = Child([*me, "_link", str(receiver.port), str(mbit), str(rtt)], env)
            try:
                link_size = min(size, max(64 * MiB, int(mbit * 1e6 / 8 * args.link_seconds)
                                          // MiB * MiB))
                link_path = workdir / "link.bin"
                make_file(link_path, link_size, args.sparse)
                link_sha = sha256_of(link_path)
                got = compare(bench, link_path, link_size, link.port, link_label(mbit, rtt),
                              link_sha, False)
                results["series"] += list(got.values())
                link_path.unlink()
            finally:
                link.close()
        path.unlink()
        if args.resume_gib:
            results["resume"] = resume_row(bench, int(args.resume_gib * GiB))
            if args.compare_with:
                results["resume_before"] = resume_row(bench, int(args.resume_gib * GiB),
                                                      before=True)
        if receiver.ask("cpu")["errors"]:
            bench.warnings.append("the receiver had connection errors")
    finally:
        receiver.close()
    report(args, bench, results, curl_version)
    return 0


# --- Report --------------------------------------------------------------------------------------

def report(args: argparse.Namespace, bench: Bench, results: dict[str, Any],
           curl_version: str) -> None:
    series: list[Series] = results["series"]
    print("\nThroughput (median MiB/s over the whole upload, session start included), CPU "
          "seconds per GiB sent, peak RSS (/usr/bin/time):")
    header = (f"{'path':<20} {'client':<24} {'size':>9} {'MiB/s':>8} {'× curl':>7} "
              f"{'CPU s/GiB':>10} {'× curl':>7} {'peak RSS':>9} {'receiver CPU':>13}")
    print(header)
    print("-" * len(header))
    by_path: dict[str, dict[str, Series]] = {}
    for s in series:
        by_path.setdefault(s.path, {})[s.client] = s
    for path_label, group in by_path.items():
        ref = group["curl"]
        for s in group.values():
            print(f"{path_label:<20} {s.client:<24} {s.size / MiB:>5.0f} MiB {s.median:>8.1f} "
                  f"{s.median / ref.median:>7.2f} {s.cpu_per_gib:>10.2f} "
                  f"{s.cpu_per_gib / ref.cpu_per_gib:>7.2f} {s.peak_rss / MiB:>5.1f} MiB "
                  f"{s.server_share:>13.0%}")
    resume = results["resume"]
    if resume:
        print(f"\nResume of a {resume['size'] / GiB:g} GiB upload from byte "
              f"{resume['resumed_at']:,}: next byte {resume['first_byte_after_start_s']:.2f} s "
              f"after its process started ({resume['imports_s']:.2f} s of it interpreter and "
              f"imports; {resume['first_byte_after_call_s']:.3f} s after upload_video was "
              f"called; {resume['cpu_before_call_s']:.2f} CPU s before the call, the same on "
              f"a busy machine); hashing the whole file first would take "
              f"{resume['full_hash_s']:.1f} s (sparse, from memory)")

    before = results.get("resume_before")
    if before:
        print(f"Before (--compare-with): next byte {before['first_byte_after_start_s']:.2f} s "
              f"after its process started ({before['imports_s']:.2f} s of it interpreter and "
              f"imports; {before['cpu_before_call_s']:.2f} CPU s before the call; "
              f"{before['first_byte_after_call_s']:.3f} s after the call)")
    if args.compare_with:
        before_after(by_path, resume, before)

    print("\nTargets:")
    targets = []

    def target(label: str, ok: bool, detail: str) -> None:
        targets.append({"target": label, "pass": ok, "detail": detail})
        print(f"  {'PASS' if ok else 'MISS'}  {label:<52} {detail}")

    for path_label, group in by_path.items():
        ref, ours = group["curl"], group["publisher"]
        ratio = ours.median / ref.median
        target(f"throughput ≥ {THROUGHPUT_TARGET} × curl ({path_label})",
               ratio >= THROUGHPUT_TARGET, f"{ratio:.2f} × ({ours.median:.1f} vs "
               f"{ref.median:.1f} MiB/s)")
        if path_label == "receiver":
            cpu = ours.cpu_per_gib / ref.cpu_per_gib
            target(f"CPU per GiB ≤ {CPU_TARGET} × curl ({path_label})", cpu <= CPU_TARGET,
                   f"{cpu:.2f} × ({ours.cpu_per_gib:.2f} vs {ref.cpu_per_gib:.2f} s/GiB)")
    if resume:
        first = resume["first_byte_after_start_s"]
        target(f"resumed upload's next byte ≤ {RESUME_TARGET_S:g} s after start",
               first <= RESUME_TARGET_S, f"{first:.2f} s")
    for warning in bench.warnings:
        print(f"warning: {warning}")
    print(f"\nLoad average after the runs: {load_average()}")
    if args.json_out:
        args.json_out.write_text(json.dumps({
            "python": platform.python_version(), "platform": platform.platform(),
            "cpu_count": os.cpu_count(), "curl": curl_version, "repeat": args.repeat,
            "series": [s.as_json() for s in series], "resume": resume,
            "resume_before": results.get("resume_before"),
            "compare_with": str(args.compare_with) if args.compare_with else None,
            "targets": targets,
            "warnings": bench.warnings, "load_average_after": load_average()}, indent=2)
            + "\n", encoding="utf-8")
        print(f"Figures written to {args.json_out}")


def before_after(by_path: dict[str, dict[str, Series]], resume: dict[str, Any] | None,
                 before: dict[str, Any] | None) -> None:
    """Each publisher row of this checkout beside the same row of the other (--compare-with):
    after / before (below 1.00× is less: faster for seconds, slower for MiB/s)."""
    print("\nBefore and after (this checkout / --compare-with), medians:")
    header = (f"{'path':<20} {'client':<24} {'MiB/s after':>12} {'before':>8} {'×':>6} "
              f"{'CPU s/GiB after':>16} {'before':>7} {'×':>6} {'RSS after':>10} {'before':>8}")
    print(header)
    print("-" * len(header))
    for path_label, group in by_path.items():
        for client in CLIENTS[1:]:
            now, then = group.get(client), group.get(BEFORE + client)
            if now is None or then is None:
                continue
            print(f"{path_label:<20} {client:<24} {now.median:>12.1f} {then.median:>8.1f} "
                  f"{now.median / then.median:>5.2f}× {now.cpu_per_gib:>16.2f} "
                  f"{then.cpu_per_gib:>7.2f} {now.cpu_per_gib / then.cpu_per_gib:>5.2f}× "
                  f"{now.peak_rss / MiB:>6.1f} MiB {then.peak_rss / MiB:>4.1f} MiB")
    if resume and before:
        a, b = resume["first_byte_after_start_s"], before["first_byte_after_start_s"]
        print(f"{'resume':<20} {'next byte, s':<24} {a:>12.2f} {b:>8.2f} {a / b:>5.2f}×")


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):
        return "unknown"


def parse_links(text: str) -> list[tuple[float, float]]:
    links = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        mbit, _, rtt = part.partition(":")
        links.append((float(mbit), float(rtt or 0)))
    return links


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gib", type=float, default=1.0,
                        help="the file sent straight to the receiver (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (default 3)")
    parser.add_argument("--links", default="100:30,1000:30", metavar="MBIT:RTT_MS,…",
                        help="links to go through (default 100:30,1000:30; empty: none)")
    parser.add_argument("--link-seconds", type=float, default=15.0,
                        help="size the file for a link to about this many seconds of it")
    parser.add_argument("--resume-gib", type=float, default=4.0,
                        help="the sparse file of the resume row (0: no resume row)")
    parser.add_argument("--chunk-mib", type=float, default=None,
                        help="force publisher's chunk size (default: sized to the link)")
    parser.add_argument("--sparse", action="store_true", help="sparse files, not random bytes")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 256 MiB, one run, links for 3 s, resume of 1 GiB")
    parser.add_argument("--compare-with", type=Path, metavar="PYTHON",
                        help="also run the publisher rows (and the resume) with another "
                             "checkout's Python (its virtualenv's), and print after/before")
    parser.add_argument("--tmpdir", type=Path)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    if args.quick:
        args.size_gib, args.repeat, args.link_seconds, args.resume_gib = 0.25, 1, 3.0, 1.0
    args.link_list = parse_links(args.links)
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_receive"]:
        from upload_net import serve_receiver

        return int(serve_receiver(sys.stdin, sys.stdout))
    if argv[:1] == ["_link"] and len(argv) == 4:
        from upload_net import serve_link

        return int(serve_link(int(argv[1]), float(argv[2]), float(argv[3]), sys.stdin,
                              sys.stdout))
    if argv[:1] == ["_sendfile"] and len(argv) == 2:
        return sendfile_child(argv[1])
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="publisher-upload-bench-", dir=args.tmpdir))
    try:
        return benchmark(args, workdir)
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
