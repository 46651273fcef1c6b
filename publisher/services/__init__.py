"""The application layer's services: what the CLI, the daemon's chores and the web console
ask of a home, as data (dataclasses and dicts), never printed and never a click object.

Each takes an `App` (publisher/app.py). Nothing here imports `publisher.cli` or
`publisher.sandbox`.
"""
