"""publisher's side of benchmarks/upload_throughput.py: one upload through the product's
client, as the pipeline builds it, in a process that imports nothing else (the benchmark's
own modules would count as the product's start-up in the resume row). Prints a JSON report.

    python benchmarks/upload_child.py SPEC_JSON
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

MIMETYPE = "video/mp4"


class CountingJournal:
    def __init__(self) -> None:
        self.sessions = 0
        self.chunks = 0

    def session_started(self, uri: str, *, replaces_expired: bool) -> None:
        self.sessions += 1

    def progress(self, offset: int, total: int) -> None:
        self.chunks += 1


def upload_child(spec_text: str) -> int:
    """One upload through the product's client, as the pipeline builds it; a JSON report."""
    spec = json.loads(spec_text)
    started_at = spec.get("spawned_at")
    from google.oauth2.credentials import Credentials

    import publisher
    from publisher.platforms.youtube.client import Endpoints, build_service, make_http
    from publisher.platforms.youtube.metadata import VideoMeta, insert_body
    from publisher.platforms.youtube.upload import upload_video

    endpoints = Endpoints(api_root=spec["root"], token_uri=spec["root"] + "token")
    creds = Credentials(token="bench", refresh_token="bench", token_uri=endpoints.token_uri,
                        client_id="bench", client_secret="bench")
    http = make_http(creds)
    service = build_service(http, endpoints)
    meta = VideoMeta(title="Benchmark upload", description="Throughput benchmark",
                     tags=("benchmark",), category_id="22", language="it", privacy="private",
                     made_for_kids=False, synthetic_media=False, license="youtube")
    body, parts = insert_body(meta, None)
    journal = CountingJournal()
    # Another checkout (--compare-with) may have an older upload_video: give it only what it
    # takes. One without `expected_sha256` had its pipeline hash the whole file before the
    # upload (pipeline/youtube_stage.py's _file_problem): done here the same way, and timed.
    import inspect

    takes = inspect.signature(upload_video).parameters
    extra: dict[str, Any] = {}
    if spec.get("chunk_size") is not None:
        extra["chunk_size"] = spec["chunk_size"]
    hash_first = bool(spec.get("sha256")) and "expected_sha256" not in takes
    if spec.get("sha256") and not hash_first:
        extra["expected_sha256"] = spec["sha256"]
    if not spec.get("session"):
        # A fresh upload: the resource built before the timer, as build_service did before it
        # became lazy (client.LazyService), so that rows compare across checkouts. A resume
        # (the resume row) never builds it: that is the point.
        _ = service.videos
    cpu0 = time.process_time()  # the process's CPU since it started: start-up and imports
    call_at = time.time()
    start = time.perf_counter()
    if hash_first:
        from publisher.media import sha256_file

        if sha256_file(Path(spec["path"])) != spec["sha256"]:
            raise SystemExit("the file's sha256 differs")
    video = upload_video(service, http, path=Path(spec["path"]), body=body, parts=parts,
                         journal=journal, mimetype=MIMETYPE, saved_session=spec.get("session"),
                         **extra)
    seconds = time.perf_counter() - start
    import resource

    print(json.dumps({
        "seconds": seconds, "cpu_s": time.process_time() - cpu0, "video_id": video["id"],
        "sessions": journal.sessions, "chunks": journal.chunks, "call_at": call_at,
        "imports_s": call_at - started_at if started_at else None,
        "cpu_before_call_s": cpu0,
        "peak_rss_inside": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "publisher": str(Path(publisher.__file__).parent)}))
    return 0


if __name__ == "__main__":
    sys.exit(upload_child(sys.argv[1]))
