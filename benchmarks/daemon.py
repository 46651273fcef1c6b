"""The daemon's idle CPU and its lateness at a slot, measured on a real `publisher run`.

A fresh home is pointed at an in-process loopback YouTube; a cadence gets a slot about two
minutes ahead with a one-minute lead time; `publisher run` is started as a subprocess. From
the journal we read when the upload started (vs the planned upload time) and when the slot
was released (vs the slot); from /proc we read the CPU the daemon used while idle, beside the
CPU a `sleep` process uses over the same window (the reference).

    python benchmarks/daemon.py [--idle 60]

Targets (issue): lateness at a slot under a second; no CPU used while idle.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.samples import make_video
from publisher.sandbox.youtube import FakeYouTube
from publisher.store.db import make_engine
from publisher.store.models import Event, Interview

ROME = ZoneInfo("Europe/Rome")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def publisher(home: Path, *args: str, env: dict[str, str]) -> list[str]:
    return [sys.executable, "-m", "publisher", "--home", str(home), *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=60.0,
                        help="seconds of idle time to measure after the release")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="publisher-daemon-bench-"))
    home = work / "home"
    env = dict(os.environ)
    subprocess.run(publisher(home, "init", str(home), env=env), check=True, env=env,
                   capture_output=True)
    with FakeYouTube() as yt:
        env.update(PUBLISHER_YOUTUBE_API_ROOT=yt.root, PUBLISHER_GOOGLE_TOKEN_URI=yt.token_uri)
        (home / "youtube-token.json").write_text(json.dumps(yt.authorized_user_info()))
        creds = json.loads((home / "credentials.json").read_text())
        creds["youtube"]["token_file"] = "youtube-token.json"
        (home / "credentials.json").write_text(json.dumps(creds))
        now = dt.datetime.now(ROME)
        slot = (now + dt.timedelta(seconds=135)).replace(second=0, microsecond=0)
        (home / "schedules" / "studi-aperti.toml").write_text(
            f'name = "studi-aperti"\ntimezone = "Europe/Rome"\n'
            f'slots = ["{slot:%A %H:%M}"]\nper_week = 1\nlead_time = "1m"\n')
        video = make_video(work / "v.mp4", seconds=1)
        subprocess.run(publisher(home, "queue", "add", str(video), "--title", "Benchmark",
                                 "--speaker", "Ada", env=env), check=True, env=env,
                       capture_output=True)
        log = (work / "daemon.log").open("w")
        proc = subprocess.Popen(publisher(home, "run", env=env), env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        engine = make_engine(f"sqlite:///{home / 'publisher.db'}")
        try:
            deadline = time.time() + 300
            released = None
            while time.time() < deadline and released is None:
                time.sleep(0.5)
                with Session(engine) as s:
                    released = s.scalars(select(Event).where(Event.kind == "released")).first()
            if released is None:
                raise SystemExit("the slot was not released within 5 minutes; see "
                                 f"{work / 'daemon.log'}")
            ref = subprocess.Popen(["sleep", str(args.idle + 5)])
            d0, r0 = cpu_seconds(proc.pid), cpu_seconds(ref.pid)
            time.sleep(args.idle)
            d1, r1 = cpu_seconds(proc.pid), cpu_seconds(ref.pid)
            ref.kill()
            with Session(engine) as s:
                item = s.scalars(select(Interview)).one()
                staging = s.scalars(select(Event).where(Event.kind == "staging")).one()
            slot_utc = slot.astimezone(dt.UTC)
            upload_at = slot_utc - dt.timedelta(minutes=1)
            assert item.slot_at == slot_utc
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            engine.dispose()
    stage_late = (staging.at - upload_at).total_seconds()
    release_late = (released.at - slot_utc).total_seconds()
    idle_cpu = d1 - d0
    print(f"slot {slot:%H:%M:%S %Z}; upload planned at {upload_at:%H:%M:%S} UTC")
    print(f"  upload started    {stage_late:+.3f} s after its planned time")
    print(f"  slot released     {release_late:+.3f} s after the slot")
    print(f"  idle CPU          {idle_cpu:.3f} s over {args.idle:.0f} s "
          f"(reference `sleep`: {r1 - r0:.3f} s)")
    print(f"  {'PASS' if 0 <= release_late < 1 else 'MISS'}  lateness at the slot under 1 s")
    print(f"  {'PASS' if idle_cpu <= 0.05 * args.idle / 60 + 0.02 else 'MISS'}  "
          "no CPU while idle (≤ 0.05 s a minute)")


if __name__ == "__main__":
    main()
