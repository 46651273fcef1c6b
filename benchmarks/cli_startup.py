"""Start-up and listing time of the `publisher` command, against a bare Python start-up.

Run with the Python of the virtualenv where publisher is installed:

    python benchmarks/cli_startup.py [--rows 10000] [--repeat 15] [--json-out FILE]

It builds a throw-away home (`publisher init`), fills its SQLite database with ROWS queued
interviews (SQLAlchemy Core bulk insert, no validation, no video files), then times each
command REPEAT times, round-robin, as a fresh process:

    python -c pass                        the reference: interpreter start-up alone
    publisher --help                      importing the CLI and printing its help
    publisher --home DIR queue list       ROWS rows as a table, stdout a pipe (not a TTY)
    publisher --home DIR queue list --json  the same rows as JSON
    publisher --home DIR run-due          a cron call with nothing due (the schedule starts
                                          in three days)

and prints median, min, p90 and the ratio of each median to the reference's, whether the
targets hold, and the ten largest cumulative imports of `publisher --help` (-X importtime).
With `--compare-with PYTHON` (another checkout's virtualenv) the same commands of that
checkout, on a home of its own filled alike, join the same round-robin, and a before/after
table follows.
A missed target is reported (MISS), not an error; the exit status is non-zero only when a
command fails or the setup does. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HELP_TARGET_RATIO = 6.0   # × python -c pass
LIST_TARGET_S = 0.35
RUN_DUE_TARGET_S = 0.3
TARGET_ROWS = 10_000
IMPORTTIME_TOP = 10

# Environment variables that would change what the commands do (another home, another
# database, import profiling); removed from the children's environment.
# PYTHONDONTWRITEBYTECODE too: an installed publisher has its bytecode cached; without the
# cache every command compiles publisher's modules from source again (~0.05 s of CPU).
SCRUBBED_ENV = ("PUBLISHER_HOME", "PUBLISHER_DATABASE_URL", "PYTHONPROFILEIMPORTTIME",
                "PYTHONSTARTUP", "PYTHONVERBOSE", "PYTHONDEVMODE", "PYTHONTRACEMALLOC",
                "PYTHONDONTWRITEBYTECODE")


class BenchmarkError(Exception):
    """A command failed or the setup did not produce what was expected."""


@dataclass
class Command:
    name: str
    argv: list[str]
    samples: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system CPU s of each timed run

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")

    @property
    def minimum(self) -> float:
        return min(self.samples)

    @property
    def p90(self) -> float:
        return percentile(self.samples, 90)


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least pct % of samples <= it."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    # The same text encoding whatever the locale of the machine running the benchmark.
    env["PYTHONIOENCODING"] = "utf-8"
    return env


LAST_CPU: list[float] = [0.0]  # the CPU seconds of the last `run`'s process


def run(argv: list[str], *, cwd: Path, env: dict[str, str]) -> tuple[float, bytes, bytes]:
    """Run argv to completion, reading (and returning) stdout and stderr through pipes. Its
    CPU seconds (user + system, from the children's rusage) are left in LAST_CPU[0]: unlike
    the wall time, they do not grow with the load of a busy machine."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU[0] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise BenchmarkError(f"`{' '.join(argv)}` exited with status {proc.returncode}"
                             + (f":\n{err}" if err else ""))
    return elapsed, proc.stdout, proc.stderr


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):  # not on Windows
        return "unknown"


def console_script() -> list[str]:
    """The `publisher` console script of the interpreter's environment (venv/bin/publisher)."""
    bindir = Path(sys.executable).parent  # not resolved: a venv's python is often a symlink
    for name in ("publisher", "publisher.exe"):
        candidate = bindir / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return [str(candidate)]
    print(f"note: no publisher console script next to {sys.executable}; "
          "timing `python -m publisher` instead", file=sys.stderr)
    return [sys.executable, "-m", "publisher"]


# --- Setup: a home with ROWS queued interviews ---------------------------------------------

FIRST_NAMES = ("Niccolò", "Lucia", "Giosuè", "Ilaria", "Andrea", "Benedetta", "Sebastiano",
               "Chiara", "Raffaele", "Agnese", "Mattia", "Noemi", "Tommaso", "Beatrice",
               "Lorenzo", "Élodie", "Gabriele", "Francesca", "Pietro", "Margherita")
LAST_NAMES = ("Bellini", "D'Agostino", "Ferrà", "Marchetti", "Cantù", "Rossi", "Galli",
              "Lombardi", "De Santis", "Fabbri", "Morandi", "Sartori", "Colombo", "Mancini",
              "Barbieri", "Parodi", "Vitale", "Greco", "Esposito", "Caruso")
ROLES = ("ceramista", "pittrice", "liutaio", "direttrice del museo", "scultore",
         "assessora alla cultura", "fotografo", "restauratrice", "tessitrice", "orafo",
         "curatore della mostra", "architetta", None)
SUBJECTS = ("la ceramica di Faenza", "il restauro degli affreschi", "la città che cambia",
            "perché si dipinge ancora a olio", "la liuteria cremonese", "l'oro e la filigrana",
            "le botteghe del centro storico", "il museo e la sua comunità",
            "la tessitura a mano", "come nasce una scultura", "la luce nelle fotografie",
            "l'attività dello studio", "un'estate di residenze d'artista",
            "il legno, la pietra e il tempo", "i mestieri che non scompaiono")
VERBS = ("racconta", "spiega", "ci mostra", "parla de", "ripercorre", "presenta")
SUFFIXES = ("", " — Studi Aperti", " (intervista)", " · puntata speciale", " — città aperta")


def _title(rng: random.Random, name: str) -> str:
    """An Italian interview title of 30 to 80 characters, with accented letters."""
    while True:
        subject = rng.choice(SUBJECTS)
        verb = rng.choice(VERBS)
        if verb == "parla de":  # "parla della ceramica", "parla dell'oro", "parla del legno"
            article, _, rest = subject.partition(" ")
            if subject.startswith("l'"):
                phrase = f"parla dell'{subject[2:]}"
            else:
                prep = {"la": "della", "il": "del", "le": "delle", "i": "dei"}.get(article)
                phrase = f"parla {prep} {rest}" if prep else f"racconta {subject}"
        else:
            phrase = f"{verb} {subject}"
        title = f"{name} {phrase}{rng.choice(SUFFIXES)}"
        if 30 <= len(title) <= 80:
            return title


def make_rows(count: int, seed: int = 20240917) -> tuple[list[dict[str, Any]],
                                                         list[dict[str, Any]]]:
    """Plausible `interviews` and `speakers` rows, every NOT NULL column filled."""
    rng = random.Random(seed)
    base = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
    interviews: list[dict[str, Any]] = []
    speakers: list[dict[str, Any]] = []
    for i in range(1, count + 1):
        people = [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                  for _ in range(rng.choice((1, 1, 1, 2)))]
        title = _title(rng, people[0])
        created = base + dt.timedelta(minutes=7 * i)
        slug = f"ep-{i:05d}"
        interviews.append({
            "id": i,
            "position": i,
            "state": "queued",
            "video_path": f"/srv/studi-aperti/video/2024/{slug}.mp4",
            "video_size": rng.randint(150_000_000, 2_400_000_000),
            "video_sha256": hashlib.sha256(f"benchmark-video-{i}".encode()).hexdigest(),
            "video_duration_s": round(rng.uniform(240.0, 3_600.0), 3),
            "video_width": 1920,
            "video_height": 1080,
            "video_codec": "h264",
            "audio_codec": "aac",
            "container_format": "mov,mp4,m4a,3gp,3g2,mj2",
            "title": title,
            "description": f"{title}.\n\nUn'intervista del programma Studi Aperti, "
                           "registrata nello studio dell'artista.",
            "hashtags": rng.sample(["ceramica", "arte", "artigianato", "museo", "città",
                                    "StudiAperti", "restauro"], k=2),
            "language": "it",
            "thumbnail_path": None,
            "playlist": None,
            "category_id": None,
            "privacy": None,
            "made_for_kids": None,
            "synthetic_media": None,
            "license": None,
            "recording_date": (created - dt.timedelta(days=rng.randint(3, 60))).date(),
            "recording_place": rng.choice(("Faenza", "Cremona", "Cantù", "Forlì", "Città "
                                           "di Castello", None)),
            "schedule": rng.choice((None, None, None, "studi-aperti")),
            "not_before": (created + dt.timedelta(days=rng.randint(7, 90))
                           if rng.random() < 0.2 else None),
            "attention_reason": None,
            "lease_owner": None,
            "lease_expires_at": None,
            "created_at": created,
            "updated_at": created,
        })
        for pos, name in enumerate(people, start=1):
            speakers.append({"interview_id": i, "position": pos, "name": name,
                             "role": rng.choice(ROLES),
                             "links": ([f"https://example.org/{slug}/{pos}"]
                                       if rng.random() < 0.3 else [])})
    return interviews, speakers


def _check_not_null_filled(table: Any, row: dict[str, Any]) -> None:
    """Fail loudly if the schema gained a NOT NULL column this benchmark does not fill."""
    missing = [c.name for c in table.columns
               if not c.nullable and row.get(c.name) is None
               and not (c.primary_key and c.autoincrement in (True, "auto"))]
    if missing:
        raise BenchmarkError(f"benchmark rows leave NOT NULL columns of {table.name} empty: "
                             f"{', '.join(missing)}; update make_rows()")


def _programme_of(home: Path) -> int | None:
    """The id of the one programme `publisher init` made in the home's database (None on a
    checkout from before programmes, whose rows need none)."""
    import sqlite3

    with sqlite3.connect(home / "publisher.db") as conn:
        try:
            return int(conn.execute("SELECT id FROM programmes").fetchone()[0])
        except sqlite3.OperationalError:  # no such table: before programmes
            return None


def quiet_schedule(home: Path) -> None:
    """The home's schedule starts in three days: `run-due` finds nothing due."""
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).date()
    (home / "schedules" / "studi-aperti.toml").write_text(
        'name = "studi-aperti"\ntimezone = "Europe/Rome"\n'
        'slots = ["Tuesday 18:00", "Friday 18:00"]\nper_week = 2\nlead_time = "1h"\n'
        f'start = "{start}"\n', encoding="utf-8")


def populate(home: Path, count: int) -> float:
    """Insert count interviews (and their speakers) into the home's SQLite database."""
    try:
        from sqlalchemy import create_engine, func, insert, select

        from publisher.store.models import Interview, Speaker
    except ImportError as exc:
        raise BenchmarkError(f"cannot import publisher ({exc}); run this with the Python of "
                             "the environment where publisher is installed") from None
    interviews_t, speakers_t = Interview.__table__, Speaker.__table__
    interviews, speakers = make_rows(count)
    if interviews:
        programme = _programme_of(home)  # every scoped row names its programme
        for row in (*interviews, *speakers):
            if programme is not None:
                row["programme_id"] = programme
        _check_not_null_filled(interviews_t, interviews[0])
        _check_not_null_filled(speakers_t, speakers[0])
    start = time.perf_counter()
    engine = create_engine(f"sqlite:///{home / 'publisher.db'}")
    try:
        if interviews:
            with engine.begin() as conn:
                conn.execute(insert(interviews_t), interviews)
                conn.execute(insert(speakers_t), speakers)
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(interviews_t)
                                  .where(interviews_t.c.state == "queued")).scalar_one()
    finally:
        engine.dispose()
    if stored != count:
        raise BenchmarkError(f"expected {count} queued interviews in the database, found "
                             f"{stored}")
    return time.perf_counter() - start


# --- Checking the outputs (once, during the warm-up) ---------------------------------------

def check_output(cmd: Command, stdout: bytes, rows: int) -> None:
    text = stdout.decode("utf-8")
    if cmd.name.endswith("--json"):
        data = json.loads(text)
        if len(data) != rows:
            raise BenchmarkError(f"{cmd.name}: {len(data)} interviews in the JSON, "
                                 f"expected {rows}")
    elif "queue list" in cmd.name:
        lines = text.splitlines()
        if len(lines) != rows + 1:  # the header, then one line per interview
            raise BenchmarkError(f"{cmd.name}: {len(lines)} lines, expected {rows + 1}")
    elif "--help" in cmd.name and "Usage:" not in text:
        raise BenchmarkError(f"{cmd.name}: no usage text in the output")
    elif "run-due" in cmd.name and "Nothing was due." not in text:
        raise BenchmarkError(f"{cmd.name}: something was due:\n{text}")


# --- Import-time profile ---------------------------------------------------------------------

@dataclass
class ImportEntry:
    name: str
    self_us: int
    cumulative_us: int
    depth: int


def import_profile(argv: list[str], *, cwd: Path, env: dict[str, str]) -> list[ImportEntry]:
    """Parse `python -X importtime` output (stderr) into entries."""
    _, _, stderr = run(argv, cwd=cwd, env=env)
    entries: list[ImportEntry] = []
    for line in stderr.decode("utf-8", "replace").splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line[len("import time:"):].split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue  # the header line
        raw_name = parts[2].rstrip()
        name = raw_name.lstrip()
        depth = (len(raw_name) - len(name) - 1) // 2
        entries.append(ImportEntry(name, int(parts[0]), int(parts[1]), depth))
    return entries


# --- Main --------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time the start-up of `publisher` and `queue list` on a populated queue.")
    parser.add_argument("--rows", type=int, default=TARGET_ROWS,
                        help=f"interviews to put in the queue (default {TARGET_ROWS:,})")
    parser.add_argument("--repeat", type=int, default=15,
                        help="timed runs of each command (default 15)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="untimed runs of each command first (default 1; they also check "
                             "the outputs)")
    parser.add_argument("--json-out", metavar="FILE", type=Path,
                        help="also write the figures as JSON to FILE")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary home (its path is printed)")
    parser.add_argument("--compare-with", metavar="PYTHON",
                        help="also time the commands of the checkout this Python runs (another "
                             "virtualenv), in the same round-robin, and print before/after")
    parser.add_argument("--populate", metavar="HOME", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rows < 0 or args.repeat < 1 or args.warmup < 0:
        parser.error("--rows must be >= 0, --repeat >= 1 and --warmup >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.populate:  # a child of --compare-with: fill a home made by its own checkout
        populate(args.populate, args.rows)
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="publisher-bench-"))
    try:
        return benchmark(args, workdir)
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"\nThe home is kept in {workdir / 'home'}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def make_home(py: str, home: Path, rows: int, workdir: Path, env: dict[str, str]
              ) -> tuple[float, float]:
    """`python -m publisher init` and `rows` interviews, with this checkout's or another's
    Python (each checkout makes its own home: their schemas may differ)."""
    start = time.perf_counter()
    run([py, "-m", "publisher", "init", str(home)], cwd=workdir, env=env)
    init_s = time.perf_counter() - start
    quiet_schedule(home)
    if py == sys.executable:
        insert_s = populate(home, rows)
    else:
        start = time.perf_counter()
        run([py, str(Path(__file__).resolve()), "--populate", str(home), "--rows", str(rows)],
            cwd=workdir, env=env)
        insert_s = time.perf_counter() - start
    # The first run-due of a day does the daily chores (a doctor, a digest): out of the way.
    run([py, "-m", "publisher", "--home", str(home), "run-due"], cwd=workdir, env=env)
    return init_s, insert_s


def publisher_commands(label: str, publisher: list[str], home: Path) -> list[Command]:
    return [
        Command(f"{label}publisher --help", [*publisher, "--help"]),
        Command(f"{label}publisher queue list",
                [*publisher, "--home", str(home), "queue", "list"]),
        Command(f"{label}publisher queue list --json",
                [*publisher, "--home", str(home), "queue", "list", "--json"]),
        Command(f"{label}publisher run-due", [*publisher, "--home", str(home), "run-due"]),
    ]


def benchmark(args: argparse.Namespace, workdir: Path) -> int:
    env = child_env()
    home = workdir / "home"
    py = sys.executable
    publisher = console_script()

    print(f"Python {platform.python_version()} ({py}) on {platform.platform()}, "
          f"{os.cpu_count()} CPUs, load average {load_average()}")
    init_s, insert_s = make_home(py, home, args.rows, workdir, env)
    print(f"Home: {home} (init {init_s:.2f} s; {args.rows:,} interviews inserted in "
          f"{insert_s:.2f} s)")

    commands = [Command("python -c pass", [py, "-c", "pass"]),
                *publisher_commands("", publisher, home)]
    before: list[Command] = []
    if args.compare_with:
        other_home = workdir / "home-before"
        make_home(args.compare_with, other_home, args.rows, workdir, env)
        other_script = Path(args.compare_with).parent / "publisher"
        before = publisher_commands("before: ", [str(other_script)], other_home)
        print(f"Before: {args.compare_with} (its home: {other_home})")
    reference = commands[0]
    commands += before

    for _ in range(args.warmup):
        for cmd in commands:
            _, stdout, _ = run(cmd.argv, cwd=workdir, env=env)
            check_output(cmd, stdout, args.rows)

    # Round-robin, with the starting command rotated every round, so that noise on the
    # machine (and whatever one command leaves behind for the next) hits all of them alike.
    print(f"Timing {len(commands)} commands × {args.repeat} runs, round-robin...")
    for i in range(args.repeat):
        for k in range(len(commands)):
            cmd = commands[(i + k) % len(commands)]
            elapsed, _, _ = run(cmd.argv, cwd=workdir, env=env)
            cmd.samples.append(elapsed)
            cmd.cpu.append(LAST_CPU[0])

    ref = reference.median
    print()
    header = (f"{'command':<36} {'median s':>9} {'min s':>8} {'p90 s':>8} {'× python':>9} "
              f"{'CPU s':>7}")
    print(header)
    print("-" * len(header))
    for cmd in commands:
        print(f"{cmd.name:<36} {cmd.median:>9.3f} {cmd.minimum:>8.3f} {cmd.p90:>8.3f} "
              f"{cmd.median / ref:>9.1f} {cmd.cpu_median:>7.3f}")
    print("(CPU s: the median of each run's user + system CPU, which a busy machine does not "
          "inflate as it does the wall time)")

    by_name = {cmd.name: cmd for cmd in commands}
    help_cmd = by_name["publisher --help"]
    targets = [
        (f"publisher --help ≤ {HELP_TARGET_RATIO:g}× python -c pass", help_cmd,
         help_cmd.median / ref <= HELP_TARGET_RATIO),
        (f"publisher queue list ({args.rows:,} rows) ≤ {LIST_TARGET_S} s",
         by_name["publisher queue list"], by_name["publisher queue list"].median <= LIST_TARGET_S),
        (f"publisher queue list --json ({args.rows:,} rows) ≤ {LIST_TARGET_S} s",
         by_name["publisher queue list --json"],
         by_name["publisher queue list --json"].median <= LIST_TARGET_S),
        (f"publisher run-due, nothing due ≤ {RUN_DUE_TARGET_S} s", by_name["publisher run-due"],
         by_name["publisher run-due"].median <= RUN_DUE_TARGET_S),
    ]
    print("\nTargets (median):")
    target_results = []
    for label, cmd, ok in targets:
        target_results.append({"target": label, "command": cmd.name, "median_s": cmd.median,
                               "ratio": cmd.median / ref, "pass": ok})
        print(f"  {'PASS' if ok else 'MISS'}  {label:<55} {cmd.median:.3f} s "
              f"({cmd.median / ref:.1f}× python)")
    comparison = []
    if before:
        print("\nBefore/after (medians, same round-robin):")
        print(f"  {'command':<30} {'before s':>9} {'after s':>9} {'after/before':>13}")
        for cmd in before:
            after = by_name[cmd.name.removeprefix("before: ")]
            comparison.append({"command": after.name, "before_s": cmd.median,
                               "after_s": after.median, "ratio": after.median / cmd.median})
            print(f"  {after.name:<30} {cmd.median:>9.3f} {after.median:>9.3f} "
                  f"{after.median / cmd.median:>12.2f}x")
    if args.rows != TARGET_ROWS:
        print(f"  (the queue list target is set for {TARGET_ROWS:,} rows; this run used "
              f"{args.rows:,})")

    print(f"\nLoad average after the timed runs: {load_average()} (figures from a busy machine "
          "are not comparable)")

    profile = import_profile([py, "-X", "importtime", "-m", "publisher", "--help"],
                             cwd=workdir, env=env)
    top = sorted(profile, key=lambda e: e.cumulative_us, reverse=True)[:IMPORTTIME_TOP]
    total_us = sum(e.self_us for e in profile)
    print(f"\nLargest cumulative imports of `python -X importtime -m publisher --help` "
          f"(one run; {total_us / 1000:.1f} ms of imports in all, {len(profile)} modules):")
    print(f"  {'cumulative ms':>13} {'self ms':>8}  module")
    for e in top:
        print(f"  {e.cumulative_us / 1000:>13.1f} {e.self_us / 1000:>8.1f}  "
              f"{'  ' * e.depth}{e.name}")

    if args.json_out:
        report = {
            "python": platform.python_version(),
            "executable": py,
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "load_average_after": load_average(),
            "rows": args.rows,
            "repeat": args.repeat,
            "warmup": args.warmup,
            "setup_s": {"init": init_s, "insert": insert_s},
            "reference": reference.name,
            "commands": [{"name": c.name, "argv": c.argv, "median_s": c.median,
                          "cpu_median_s": c.cpu_median, "cpu_samples_s": c.cpu,
                          "min_s": c.minimum, "p90_s": c.p90, "ratio": c.median / ref,
                          "samples_s": c.samples} for c in commands],
            "targets": target_results,
            "before_after": comparison,
            "medians_s": {c.name: c.median for c in commands},
            "importtime_help": {
                "total_self_ms": total_us / 1000,
                "modules": len(profile),
                "top_cumulative": [{"module": e.name, "cumulative_ms": e.cumulative_us / 1000,
                                    "self_ms": e.self_us / 1000, "depth": e.depth}
                                   for e in top],
            },
        }
        args.json_out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                                 encoding="utf-8")
        print(f"\nFigures written to {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
