"""What every API call passes before its handler runs, in Google's order: the access token and
its scopes, then faults injected for the method, then the quota charge."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from publisher.sandbox.http import Drop, Request
from publisher.sandbox.youtube.errors import ApiError
from publisher.sandbox.youtube.facts import METHODS, method_id
from publisher.sandbox.youtube.oauth import TokenAuthority
from publisher.sandbox.youtube.quota import QuotaLedger

_DEFAULT_MESSAGES = {"backendError": "Backend Error",
                     "rateLimitExceeded": "Rate Limit Exceeded",
                     "userRateLimitExceeded": "User Rate Limit Exceeded"}


@dataclass
class MethodFault:
    method: str
    error: ApiError
    times: int


@dataclass
class AnswerDrop:
    method: str
    reset: bool


class ApiGate:
    """Runs the checks in front of every API method (:meth:`begin`), and holds the faults
    injected for methods (:meth:`fail_next`, :meth:`drop_next_answer`)."""

    def __init__(self, lock: threading.RLock, oauth: TokenAuthority,
                 quota: QuotaLedger) -> None:
        self._lock = lock
        self._oauth = oauth
        self._quota = quota
        self._faults: list[MethodFault] = []
        self._answer_drops: list[AnswerDrop] = []

    def begin(self, request: Request, method: str) -> None:
        """Authenticate, apply injected method faults, charge quota (in that order)."""
        request.tag = method
        with self._lock:
            self._oauth.authenticate(request, METHODS[method][2])
            for fault in self._faults:
                if fault.method == method:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    request.notes.append(f"fault: {fault.error.status} {fault.error.reason}")
                    raise fault.error
        self._quota.charge(method)

    def fail_next(self, method: str, status: int, reason: str, *, message: str | None,
                  domain: str, times: int, retry_after: int | None) -> None:
        headers = [("Retry-After", str(retry_after))] if retry_after is not None else []
        error = ApiError(status, reason, message or _DEFAULT_MESSAGES.get(reason, reason),
                         domain=domain, headers=headers)
        with self._lock:
            self._faults.append(MethodFault(method_id(method), error, times))

    def drop_next_answer(self, method: str, *, reset: bool) -> None:
        with self._lock:
            self._answer_drops.append(AnswerDrop(method_id(method), reset))

    def answer_dropped(self, request: Request) -> Drop | None:
        """The connection close that replaces the answer to this handled call, if a test
        asked for one (:meth:`drop_next_answer`)."""
        with self._lock:
            for drop in self._answer_drops:
                if drop.method == request.tag:
                    self._answer_drops.remove(drop)
                    request.notes.append("fault: answer dropped")
                    return Drop(reset=drop.reset)
        return None
