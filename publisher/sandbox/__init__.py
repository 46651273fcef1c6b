"""Loopback fakes of the platforms publisher talks to, with fault injection.

Used by the tests, the crash matrix, ``publisher demo``, ``run --sandbox`` / ``run-due
--sandbox`` (run.py, walled off by guard.py) and ``publisher sandbox serve``; platforms.py
starts them all with their credentials. Standard library only: a fake is an HTTP server on
127.0.0.1 that the real client libraries are pointed at through the configurable endpoints
(see each module's docstring for the recipe).
"""

from publisher.sandbox.http import Drop, LoopbackServer, Request, RequestRecord, Response
from publisher.sandbox.youtube import ApiError, FakeYouTube, ProcessingScript

__all__ = [
    "ApiError",
    "Drop",
    "FakeYouTube",
    "LoopbackServer",
    "ProcessingScript",
    "Request",
    "RequestRecord",
    "Response",
]
