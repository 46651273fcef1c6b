"""Faults of the edit and delete endpoints, shared by the loopback fakes of the platforms
that post: what the next edit or delete request meets — a server error before the platform
acts, the connection dropped after it acted, a rate limit (the platform's own 429 with its
reset) — taken in order, one per request. Expired or revoked credentials are each fake's
own (`revoke_token` and the like), since they refuse every endpoint alike.

Each fake mixes in `CallFaults`, wraps its edit and delete handlers in `_faulted`, and
answers a fault in its platform's shape (`_call_server_error`, `_call_rate_limited`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from publisher.sandbox.http import Drop, Request, Response


class Endpoint(Enum):
    EDIT = "edit"
    DELETE = "delete"


class CallFaultKind(Enum):
    SERVER_ERROR = "server_error"   # answered before acting
    DROP_AFTER = "drop_after"       # acted, then the connection reset without an answer
    RATE_LIMITED = "rate_limited"   # answered 429 before acting, with the reset


@dataclass(frozen=True)
class CallFault:
    kind: CallFaultKind
    status: int = 503
    reset_in_s: int = 0


class CallFaults:
    """Mixed into a LoopbackServer (which provides `lock`)."""

    lock: threading.RLock
    _call_faults: dict[Endpoint, list[CallFault]]

    def fail_next_call(self, endpoint: Endpoint, status: int = 503) -> None:
        """Answer the next `endpoint` request with `status`, before acting."""
        self._add_call_fault(endpoint, CallFault(CallFaultKind.SERVER_ERROR, status=status))

    def drop_next_call(self, endpoint: Endpoint) -> None:
        """Act on the next `endpoint` request, then reset the connection unanswered."""
        self._add_call_fault(endpoint, CallFault(CallFaultKind.DROP_AFTER))

    def rate_limit_next_call(self, endpoint: Endpoint, reset_in_s: int) -> None:
        """Answer the next `endpoint` request with the platform's 429, its limit reset
        `reset_in_s` ahead, before acting."""
        self._add_call_fault(endpoint, CallFault(CallFaultKind.RATE_LIMITED,
                                                 reset_in_s=reset_in_s))

    def _add_call_fault(self, endpoint: Endpoint, fault: CallFault) -> None:
        with self.lock:
            if not hasattr(self, "_call_faults"):
                self._call_faults = {}
            self._call_faults.setdefault(endpoint, []).append(fault)

    def _faulted(self, request: Request, endpoint: Endpoint,
                 act: Callable[[], Response | Drop]) -> Response | Drop:
        """`act()`'s answer, unless a fault of `endpoint` is queued."""
        with self.lock:
            queue = getattr(self, "_call_faults", {}).get(endpoint)
            fault = queue.pop(0) if queue else None
        if fault is None:
            return act()
        request.notes.append(f"fault: {endpoint.value} {fault.kind.value}")
        if fault.kind is CallFaultKind.SERVER_ERROR:
            return self._call_server_error(fault.status)
        if fault.kind is CallFaultKind.RATE_LIMITED:
            return self._call_rate_limited(fault.reset_in_s)
        act()
        return Drop(reset=True)

    def _call_server_error(self, status: int) -> Response:
        raise NotImplementedError

    def _call_rate_limited(self, reset_in_s: int) -> Response:
        raise NotImplementedError
