"""A throwaway PostgreSQL server for the test suite, started from the machine's binaries.

PostgreSQL refuses to run as root, so as root the cluster is owned by, and run as, the
`postgres` system user. Set PUBLISHER_TEST_POSTGRES_URL to use an existing server instead.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def bindir() -> Path:
    """The folder of the PostgreSQL server programs (pg_ctl, pg_dump, …) on this machine."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent  # a link in /usr/local/bin: the real folder
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if not candidates:
        raise PostgresUnavailable("no PostgreSQL binaries found (install postgresql, or set "
                                  "PUBLISHER_TEST_POSTGRES_URL)")
    return Path(candidates[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TempPostgres:
    def __init__(self) -> None:
        self.bindir = bindir()
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="publisher-pg-"))
        self.data = self.root / "data"
        self.user: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root and there is no 'postgres' user "
                                          "to run the server as") from None
            self.user = "postgres"
            os.chmod(self.root, 0o755)
            shutil.chown(self.root, user="postgres")

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise PostgresUnavailable(f"{args[0]} failed: {proc.stderr.strip() or proc.stdout}")

    def start(self) -> str:
        """Make the cluster and start the server; returns the maintenance database's URL."""
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "publisher",
                  "-E", "UTF8", "--no-sync")
        self.start_server()
        return self.url

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://publisher@127.0.0.1:{self.port}/postgres"

    def start_server(self) -> None:
        """Start the (already made) cluster on its port, and wait until it takes connections."""
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l",
                  str(self.root / "server.log"), "-w", "-t", "60", "start")
        deadline = time.time() + 30
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    break
            time.sleep(0.1)

    def stop_server(self, mode: str = "fast") -> None:
        """Stop the server, keeping the cluster: `start_server` brings it back on the same
        port and data directory. `fast` disconnects clients and shuts down cleanly;
        `immediate` is a crash as far as clients can tell."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, down_for: float = 0.0, mode: str = "fast") -> None:
        """Stop the server, stay down `down_for` seconds, start it again where it was."""
        self.stop_server(mode)
        time.sleep(down_for)
        self.start_server()

    def stop(self) -> None:
        """Stop the server (if it runs) and delete the cluster."""
        with contextlib.suppress(PostgresUnavailable):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
