"""Helpers shared by several test modules, split by concern.

A test module never imports another test module: what two of them need lives here (or, for
fixtures and the home/media builders, in conftest.py). tests/test_layout.py checks this.
"""
