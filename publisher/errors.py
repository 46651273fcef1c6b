"""The small hierarchy of errors, by kind. Only the CLI turns them into messages and exit codes."""

from __future__ import annotations


class PublisherError(Exception):
    """Base of every error the product raises on purpose."""

    exit_code = 1


class InputError(PublisherError):
    """The organizer's input is invalid: nothing was written."""

    exit_code = 2


class NotFoundError(InputError):
    """A named interview (or other object) does not exist."""


class ConfigError(PublisherError):
    """A configuration file (publisher.toml, credentials.json, a schedule) is malformed.

    The message always names the file, the key and what was expected.
    """

    exit_code = 3

    def __init__(self, path: object, key: str | None, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        where = f"{self.path}: {key}" if key else self.path
        super().__init__(f"{where}: {problem}")


class DatabaseError(PublisherError):
    """The database cannot be used as it is (unreachable, or behind the code's schema)."""

    exit_code = 3


class SchemaBehindError(DatabaseError):
    """The database schema is older than this version of publisher expects."""
