"""The states of an interview and of a publication record: plain enums, importable without
SQLAlchemy (publisher.store.models re-exports them)."""

from __future__ import annotations

import enum


class State(enum.StrEnum):
    """Where an interview stands. See DESIGN.md, "State of an interview"."""

    QUEUED = "queued"
    HELD = "held"
    STAGING = "staging"          # upload running; session URI saved
    STAGED = "staged"            # private on YouTube with publishAt, decorated
    RELEASED = "released"        # confirmed public
    PUBLISHED = "published"      # every cross-post done
    NEEDS_ATTENTION = "needs_attention"
    CANCELLED = "cancelled"
    WITHDRAWN = "withdrawn"      # taken down after release: video private, posts deleted


# States that still occupy a place in the queue (shown by `queue list` by default).
ACTIVE = frozenset(set(State) - {State.CANCELLED, State.PUBLISHED, State.WITHDRAWN})


class PublicationState(enum.StrEnum):
    """Where one side effect stands. See DESIGN.md: intent → act → record."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"            # the handle is saved; the request may have been sent
    DONE = "done"                      # remote id and URL recorded
    UNKNOWN = "unknown"                # sent, outcome not known: reconcile before retrying
    FAILED = "failed"                  # failed for now; retried at next_attempt_at
    NEEDS_ATTENTION = "needs_attention"
    SKIPPED = "skipped"                # an organizer chose to skip it
    # A post taken down by a withdrawal (publisher/pipeline/withdraw.py): its remote id is
    # kept; `publisher republish` makes it pending again, so it is posted anew, once.
    DELETING = "deleting"              # the delete is wanted and may have been sent
    DELETED = "deleted"                # gone from the platform (by us, or already gone)


class CorrectionState(enum.StrEnum):
    """Where a correction of what is already on YouTube stands (intent → act → record).
    See publisher/lifecycle.py's CORRECTION_ALLOWED and docs/architecture.md."""

    PENDING = "pending"                # recorded by an edit; the next tick or `sync` applies it
    IN_FLIGHT = "in_flight"            # what will be sent is saved; videos.update may be sent
    DONE = "done"                      # YouTube holds the corrected values
    WAITING = "waiting"                # quota or a passing failure: tried again at next_attempt_at
    CONFLICT = "conflict"              # a field was changed in YouTube Studio: waits for people
    NEEDS_ATTENTION = "needs_attention"  # YouTube refused it for good: the reason says the fix


class Role(enum.StrEnum):
    """What a console account may do: an organizer changes the queue, a viewer only sees."""

    ORGANIZER = "organizer"
    VIEWER = "viewer"


class ProgrammeState(enum.StrEnum):
    """Whether a programme's due work runs: `publisher programmes pause|resume`."""

    ACTIVE = "active"
    PAUSED = "paused"


#: The programme of a home whose publisher.toml names none, and of every row a database had
#: before programmes existed (migration 0010 keeps them under id 1).
DEFAULT_PROGRAMME = "default"
