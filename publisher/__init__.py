"""publisher: runs a cultural programme's YouTube channel and social accounts on autopilot."""

__version__ = "0.1.0"
