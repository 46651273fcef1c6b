"""The validators of queue.prepare, as a table."""

from __future__ import annotations


def test_every_field_of_an_interview_has_a_validator() -> None:
    """queue.prepare is a table: a field added to InterviewSpec without a check would be
    stored unchecked."""
    import dataclasses

    from publisher.queue import InterviewSpec
    from publisher.queue_fields import FIELD_CHECKS

    checked = {c.field for c in FIELD_CHECKS} | {"speakers"}  # entries: "speaker entries"
    assert {f.name for f in dataclasses.fields(InterviewSpec)} <= checked
