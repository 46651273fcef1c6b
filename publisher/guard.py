"""The wall between rehearsal and reality, enforced at the socket, not by good intentions.

* In sandbox mode (`run --sandbox`, `run-due --sandbox`, `demo`) the process may connect to
  loopback addresses only, and may not even resolve another host name: whatever a client
  library, a stray environment variable or a notification URL asks for, a real platform is
  out of reach.
* Outside sandbox mode, the sandbox is out of reach: every running sandbox (in this process,
  or `publisher sandbox serve` in another) registers its ports in a per-user folder, and a
  real run refuses an endpoint that points at one before it starts, and any connection to one
  while it runs. Otherwise a forgotten `export PUBLISHER_X_API_ROOT=…` from a rehearsal would
  mark the real queue "published" on a fake.

Both are one audit hook (PEP 578), installed once per process by whichever side needs it.
It lives outside publisher/sandbox/ because every real run goes through it (App.runtime):
a real run reads the registry and never imports the fakes. Standard library only.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from publisher.errors import PublisherError

_state: dict[str, Any] = {"mode": None, "sandbox_ports": set(), "real_blocked": set(),
                         "hook": False}


class SandboxViolation(PublisherError):
    """A connection across the wall between the sandbox and the real platforms."""

    exit_code = 3


def registry_dir() -> Path:
    """Where running sandboxes list their ports (one file per process, per user)."""
    return Path(tempfile.gettempdir()) / f"publisher-sandbox-{os.getuid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def registered(ports: list[int]) -> Iterator[None]:
    """List `ports` as the sandbox's while the block runs."""
    folder = registry_dir()
    folder.mkdir(mode=0o700, exist_ok=True)
    entry = folder / f"{os.getpid()}-{id(ports)}.json"
    entry.write_text(json.dumps({"pid": os.getpid(), "ports": ports}))
    _state["sandbox_ports"] = _state["sandbox_ports"] | set(ports)
    try:
        yield
    finally:
        _state["sandbox_ports"] = _state["sandbox_ports"] - set(ports)
        _state["real_blocked"] = _state["real_blocked"] - set(ports)
        entry.unlink(missing_ok=True)


def sandbox_ports() -> set[int]:
    """Ports of every sandbox running for this user (entries of dead processes dropped)."""
    ports: set[int] = set(_state["sandbox_ports"])
    folder = registry_dir()
    if not folder.is_dir():
        return ports
    for entry in folder.glob("*.json"):
        try:
            data = json.loads(entry.read_text())
            pid, found = int(data["pid"]), [int(p) for p in data["ports"]]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if _alive(pid):
            ports.update(found)
        else:
            entry.unlink(missing_ok=True)
    return ports


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    mode = _state["mode"]
    if mode is None:
        return
    if event == "socket.getaddrinfo" and mode == "sandbox":
        host = args[0]
        if isinstance(host, bytes):
            host = host.decode(errors="replace")
        if host is not None and not is_loopback(str(host)):
            raise SandboxViolation(f"sandbox mode: refused to look up {host} (only the "
                                   "loopback sandbox is reachable)")
    elif event == "socket.connect":
        address = args[1]
        if not (isinstance(address, tuple) and len(address) >= 2):
            return  # a Unix socket: not a platform
        host, port = str(address[0]), int(address[1])
        if mode == "sandbox" and not is_loopback(host):
            raise SandboxViolation(f"sandbox mode: refused to connect to {host}:{port} (only "
                                   "the loopback sandbox is reachable)")
        if mode == "real" and is_loopback(host) and port in _state["real_blocked"]:
            raise SandboxViolation(f"refused to connect to the publisher sandbox at "
                                   f"{host}:{port} outside sandbox mode")


def _install() -> None:
    if not _state["hook"]:
        sys.addaudithook(_hook)
        _state["hook"] = True


@contextlib.contextmanager
def sandbox_mode() -> Iterator[None]:
    """Within the block this process reaches loopback addresses only."""
    _install()
    previous = _state["mode"]
    _state["mode"] = "sandbox"
    try:
        yield
    finally:
        _state["mode"] = previous


def in_sandbox() -> bool:
    return bool(_state["mode"] == "sandbox")


def protect_real_mode(endpoints: Mapping[str, str | None]) -> None:
    """Refuse to start a real run whose endpoints point at a running sandbox, and refuse any
    connection to one afterwards. `endpoints` maps a setting's name to its address."""
    if in_sandbox():
        return
    ports = sandbox_ports()
    for name, url in endpoints.items():
        if not url:
            continue
        parts = urlsplit(url)
        if parts.hostname and is_loopback(parts.hostname) and parts.port in ports:
            raise SandboxViolation(
                f"{name} is {url}, the publisher sandbox: a real run would record the "
                f"real queue as published on a fake. To rehearse, add --sandbox; otherwise "
                f"unset {name} (it was probably exported from `publisher sandbox serve`)")
    _state["real_blocked"] = ports
    _install()
    _state["mode"] = "real"
