"""`publisher sandbox serve` starts every loopback platform and stops cleanly."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request

from tests.helpers.sandbox import read_exports


def test_serve_prints_roots_that_answer_then_stops() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "publisher", "sandbox", "serve"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        roots = read_exports(proc)
        assert set(roots) >= {"PUBLISHER_YOUTUBE_API_ROOT", "PUBLISHER_X_API_ROOT",
                              "PUBLISHER_FACEBOOK_GRAPH_ROOT"}
        assert all(v.startswith("http://127.0.0.1:") for v in roots.values())
        with urllib.request.urlopen(roots["PUBLISHER_MASTODON_API_ROOT"].rstrip("/")
                                    + "/api/v2/instance", timeout=5) as resp:
            assert "configuration" in json.loads(resp.read())
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
        assert proc.returncode == 0 and "Sandbox stopped." in out
    finally:
        if proc.poll() is None:
            proc.kill()
