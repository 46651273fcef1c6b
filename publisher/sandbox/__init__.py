"""Loopback fakes of the platforms publisher talks to, with fault injection.

Used by the tests, the crash matrix, ``publisher demo``, ``run --sandbox`` / ``run-due
--sandbox`` (run.py, walled off by publisher/guard.py) and ``publisher sandbox serve``;
platforms.py starts them all, from the platforms' specs, with their credentials. Standard
library only: a fake is an HTTP server on 127.0.0.1 that the real client libraries are
pointed at through the configurable endpoints (see each module's docstring for the recipe).

This package imports nothing itself, and no production path imports it (tests/test_layers.py):
import names from the submodules
(``publisher.sandbox.http``, ``publisher.sandbox.youtube``, ...).
"""
