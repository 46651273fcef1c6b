"""The interview state machine: one transition function, one table, nothing else assigns a
state, every journal kind an enum, one definition of "every cross-post is done"."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import select

from publisher import lifecycle
from publisher.leases import LeaseLost, claim
from publisher.lifecycle import (
    ALLOWED,
    PUBLICATION_ALLOWED,
    EventKind,
    IllegalTransition,
    Step,
    all_posted,
    set_publication,
    transition,
)
from publisher.store.models import Event, Interview, Publication, PublicationState, State
from tests.conftest import HomeFixture
from tests.helpers.scoped import session_of

PACKAGE = Path(lifecycle.__file__).parent
# The fakes keep their own (remote) states; the models declare the columns and defaults. A
# programme's state (active or paused, `publisher programmes`) is no interview's or post's.
EXEMPT = {PACKAGE / "lifecycle.py", PACKAGE / "store" / "models.py",
          PACKAGE / "services" / "programmes.py"}
STATE_WRITERS = {"values", "Interview", "Publication", "guarded_update", "update", "finish"}


def _production_modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py")
            if p not in EXEMPT and "sandbox" not in p.relative_to(PACKAGE).parts]


def _state_assignments(tree: ast.AST) -> list[int]:
    found = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            elements = target.elts if isinstance(target, ast.Tuple) else [target]
            found += [node.lineno for t in elements
                      if isinstance(t, ast.Attribute) and t.attr == "state"]
        if isinstance(node, ast.Call):
            name = (node.func.attr if isinstance(node.func, ast.Attribute)
                    else getattr(node.func, "id", ""))
            if name in STATE_WRITERS and any(k.arg == "state" for k in node.keywords):
                found.append(node.lineno)
            if name == "setattr" and len(node.args) > 1 and \
                    isinstance(node.args[1], ast.Constant) and node.args[1].value == "state":
                found.append(node.lineno)
    return found


def test_nothing_but_the_transition_functions_assigns_a_state() -> None:
    offenders = {str(p.relative_to(PACKAGE.parent)): lines
                 for p in _production_modules()
                 if (lines := _state_assignments(ast.parse(p.read_text())))}
    assert offenders == {}, "change states through publisher.lifecycle only"


def test_the_scan_finds_an_assignment() -> None:
    code = "item.state = 'x'\npub.state, pub.url = a, b\nupdate(T).values(state='x')\n"
    assert _state_assignments(ast.parse(code)) == [1, 2, 3]


def test_journal_kinds_are_enum_members_not_strings() -> None:
    """No call to a journal writes a kind spelt as a string or built at run time."""
    offenders = []
    for path in _production_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(
                    node.func, "id", "")) == "journal":
                kinds = [a for a in node.args if isinstance(a, ast.Constant | ast.JoinedStr)
                         and isinstance(getattr(a, "value", ""), str)]
                kinds += [k.value for k in node.keywords if k.arg == "kind"
                          and isinstance(k.value, ast.Constant | ast.JoinedStr)]
                if kinds:
                    offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_the_table_knows_every_state() -> None:
    assert set(ALLOWED) == set(State)
    assert set(PUBLICATION_ALLOWED) == set(PublicationState)
    # Published is an end but for `publisher withdraw` (undone by `publisher republish`).
    assert ALLOWED[State.PUBLISHED] == frozenset({State.WITHDRAWN})
    # Cancelled is an end but for `queue restore` of one that never reached YouTube.
    assert ALLOWED[State.CANCELLED] == frozenset({State.QUEUED})
    assert {s.value for s in Step} >= {"video", "release", "post", "thumbnail", "playlist"}
    assert len({k.value for k in EventKind}) == len(EventKind)




def test_an_illegal_transition_raises_and_writes_nothing(one: HomeFixture) -> None:
    before = one.snapshot()
    with session_of(one.db_url) as s, pytest.raises(IllegalTransition, match="queued to published"):
        transition(s, 1, State.PUBLISHED, kind=EventKind.PUBLISHED, actor="test")
    assert one.snapshot() == before


def test_a_transition_journals_in_the_same_write(one: HomeFixture) -> None:
    with session_of(one.db_url) as s, s.begin():
        old = transition(s, 1, State.HELD, kind=EventKind.HELD, actor="test", reason="why")
    assert old == State.QUEUED
    with session_of(one.db_url) as s:
        item = s.get(Interview, 1)
        assert item is not None and item.state == "held"
        event = s.scalars(select(Event).order_by(Event.id.desc())).first()
        assert event is not None and (event.kind, event.actor) == ("held", "test")
        assert event.detail == {"reason": "why"}


def test_the_lease_fences_a_workers_transition(one: HomeFixture) -> None:
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    with session_of(one.db_url) as s, s.begin():
        assert claim(s, 1, "daemon:h:1:a", now)
    with session_of(one.db_url) as s, s.begin(), pytest.raises(LeaseLost):
        transition(s, 1, State.STAGING, kind=None, actor="daemon", owner="daemon:h:1:b")
    with session_of(one.db_url) as s, s.begin():
        transition(s, 1, State.STAGING, kind=None, actor="daemon", owner="daemon:h:1:a",
                   end_lease=True)
        item = s.get(Interview, 1)
        assert item is not None and item.lease_owner is None


def test_a_worker_never_overwrites_an_organizers_cancel(one: HomeFixture) -> None:
    """A worker that chose an interview before the organizer cancelled it cannot move it on:
    cancelled is an end (and the write is conditional on the state it was checked against,
    for the window between a worker's read and its write on PostgreSQL)."""
    with session_of(one.db_url) as s, s.begin():
        transition(s, 1, State.CANCELLED, kind=EventKind.CANCELLED, actor="cli")
    with session_of(one.db_url) as s, s.begin(), pytest.raises(IllegalTransition,
                                                        match="cancelled to staging"):
        transition(s, 1, State.STAGING, kind=None, actor="daemon")


def test_needs_attention_keeps_its_reason_until_it_leaves(one: HomeFixture) -> None:
    with session_of(one.db_url) as s, s.begin():
        transition(s, 1, State.NEEDS_ATTENTION, kind=EventKind.NEEDS_ATTENTION, actor="t",
                   attention="the file is missing. To fix: put it back")
        item = s.get(Interview, 1)
        assert item is not None and item.attention_reason.startswith("the file")  # type: ignore[union-attr]
        transition(s, 1, State.QUEUED, kind=None, actor="t")
        assert item.attention_reason is None


def test_a_done_post_is_never_undone(one: HomeFixture) -> None:
    with session_of(one.db_url) as s, s.begin():
        pub = Publication(interview_id=1, platform="mastodon", step="post", account="",
                          progress=0, attempts=0)
        s.add(pub)
        s.flush()
        set_publication(pub, PublicationState.DONE, url="https://m/1")
        with pytest.raises(IllegalTransition, match="done to pending"):
            set_publication(pub, PublicationState.PENDING)


def test_every_cross_post_done_has_one_definition(one: HomeFixture) -> None:
    with session_of(one.db_url) as s, s.begin():
        assert all_posted(s, 1, ())  # a schedule that posts nowhere else
        assert not all_posted(s, 1, ("mastodon",))  # not even tried yet
        pub = Publication(interview_id=1, platform="mastodon", step="post", account="",
                          progress=0, attempts=0)
        s.add(pub)
        s.flush()
        assert not all_posted(s, 1, ("mastodon",))
        set_publication(pub, PublicationState.SKIPPED)
        assert all_posted(s, 1, ("mastodon",)) and all_posted(s, 1, None)

