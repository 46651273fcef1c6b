"""What `publisher status` and `publisher history` show, as data: the daemon's health, the
workers serving the database and which holds what (services/worker_status.py), what is
next, what is in flight, what needs a person, and an interview's journal."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from publisher.app import App
    from publisher.services.accounts import AccountsReport


# A daemon beats every minute, even in the middle of a long upload; one silent this long is
# taken for gone (its place can be taken over, see services/daemon_claim.py).
STALE_AFTER = dt.timedelta(minutes=15)


def daemon_health(daemon: dict[str, Any], now: dt.datetime) -> tuple[dt.datetime | None, bool]:
    """The daemon's last heartbeat, and whether it is alive: not stopped, a beat within
    STALE_AFTER, from a process that still exists (when it ran on this machine)."""
    from publisher.leases import holder_is_dead

    beat = dt.datetime.fromisoformat(daemon["heartbeat"]) if daemon.get("heartbeat") else None
    owner = daemon.get("owner")
    alive = bool(beat and now - beat < STALE_AFTER and not daemon.get("stopped_at")
                 and not (owner and holder_is_dead(owner)))
    return beat, alive


def _missing_token(app: App) -> str | None:
    """Why YouTube cannot be authorised as things stand, read from the files alone (no call):
    no token file yet, or none named. None when a token file is there."""
    from publisher.services.accounts import in_home

    name = app.credentials.section("youtube").get("token_file") or ""
    if not name:
        return "credentials.json names no youtube.token_file"
    path = in_home(app, str(name))
    return None if path.exists() else f"YouTube is not authorised yet ({path} does not exist)"


def gather_status(app: App, now: dt.datetime, *, rehearsal: bool = False,
                  accounts: AccountsReport | None = None) -> dict[str, Any]:
    """Everything `status` shows (also its --json); `needs_you` is what waits on the
    organizer (services/needs_you.py's one list). `rehearsal`: the sandbox copy, whose
    YouTube is the loopback one (no token file to look for) and which nothing runs on a
    cadence (no runner or accounts of its own to see to). `accounts`: as the caller read
    them (the console's, proved when it ran the checks), else read from the files."""
    from sqlalchemy import select

    from publisher.pipeline import authorisation, state
    from publisher.services.corrections import corrections_status
    from publisher.services.head_plan import head_plan
    from publisher.services.withdrawals import withdrawals_status
    from publisher.services.worker_status import workers_status
    from publisher.store.models import Interview, Publication, PublicationState, State

    with app.transaction() as s:
        daemon = state.get(s, "daemon")
        unauthorised = authorisation.get(s)
        last_run = state.get(s, "run_due").get("last_now")
        plan = head_plan(s, app, now, dt.timedelta(weeks=2))
        in_flight = s.execute(
            select(Interview.id, Interview.title, Interview.state, Interview.slot_at,
                   Publication.progress, Publication.total, Publication.last_error,
                   Publication.next_attempt_at)
            .outerjoin(Publication, (Publication.interview_id == Interview.id)
                       & (Publication.platform == "youtube") & (Publication.step == "video"))
            .where(Interview.state.in_([State.STAGING.value, State.STAGED.value,
                                        State.RELEASED.value]))
            .order_by(Interview.slot_at)).all()
        attention = s.execute(select(Interview.id, Interview.title, Interview.attention_reason)
                              .where(Interview.state == State.NEEDS_ATTENTION.value)).all()
        post_attention = s.execute(
            select(Publication.interview_id, Interview.title, Publication.platform,
                   Publication.step, Publication.last_error)
            .join(Interview).where(
                Publication.state == PublicationState.NEEDS_ATTENTION.value,
                # a withdrawn interview's posts: withdrawals_status says what to do
                Interview.state != State.WITHDRAWN.value)).all()
        # Interviews waiting for `publisher auth youtube` (pipeline/authorisation.py).
        waiting_auth = s.execute(
            select(Interview.id, Interview.title).where(
                Interview.id.in_(unauthorised.get("interviews", [])),
                Interview.state.in_([State.QUEUED.value, State.STAGING.value,
                                     State.STAGED.value, State.RELEASED.value]))
            .order_by(Interview.id)).all() if unauthorised else []
        # What goes out next: a queued interview the plan gives a slot, or one already
        # uploading or uploaded for its slot (not one that needs attention).
        committed = {e.interview.id for e in plan.entries
                     if e.interview is not None and e.interview.slot_at is not None}
        states: dict[int, str] = {r.id: r.state for r in s.execute(
            select(Interview.id, Interview.state).where(Interview.id.in_(committed)))}
        corrections, correction_needs = corrections_status(s, now)
        withdrawn, withdrawal_needs = withdrawals_status(s)
        workers = workers_status(s, now)
    nxt = next((e for e in plan.entries if e.interview is not None and (
        e.interview.slot_at is None
        or states.get(e.interview.id) in (State.STAGING.value, State.STAGED.value))), None)
    beat, alive = daemon_health(daemon, now)
    from publisher.services.runner import runner as runner_of

    home_runner = runner_of(alive, beat, dt.datetime.fromisoformat(last_run) if last_run
                            else None, now)
    needs = [{"interview_id": r.id, "title": r.title, "platform": "youtube",
              "reason": r.attention_reason or "",
              "fix": f"publisher retry {r.id}"} for r in attention]
    needs += [{"interview_id": r.interview_id, "title": r.title, "platform": r.platform,
               "reason": r.last_error or "",
               "fix": f"publisher retry {r.interview_id} --platform {r.platform}"}
              for r in post_attention]
    needs += [{"interview_id": r.id, "title": r.title, "platform": "youtube",
               "reason": authorisation.message(unauthorised.get("problem", "")),
               "fix": authorisation.FIX} for r in waiting_auth]
    if not waiting_auth and not rehearsal and nxt is not None and nxt.interview is not None \
            and states.get(nxt.interview.id, State.QUEUED.value) == State.QUEUED.value:
        # Nothing has asked YouTube yet, but the next upload will need it: say so now, not
        # when the upload is due.
        from publisher.services.times import moment

        missing = _missing_token(app)
        if missing is not None:
            starts = "now" if nxt.upload_at <= now else moment(nxt.upload_at, app.zone)
            needs.append({"interview_id": nxt.interview.id, "title": nxt.interview.title,
                          "platform": "youtube",
                          "reason": authorisation.message(
                              f"{missing}; its upload is due {starts}"),
                          "fix": authorisation.FIX})
    needs += correction_needs
    needs += withdrawal_needs
    from publisher.services.needs_you import waiting_on_you
    from publisher.services.programmes import is_paused

    if accounts is None and not rehearsal:
        from publisher.services.accounts import check_accounts

        accounts = check_accounts(app, prove=False)

    return {
        "now": now.isoformat(),
        "programme": {"name": app.programme_name,
                      "paused": is_paused(app.engine, app.programme_id)},
        "daemon": {"alive": alive, "last_heartbeat": beat.isoformat() if beat else None,
                   "next_wake": daemon.get("next_wake"), "since": daemon.get("started_at"),
                   "owner": daemon.get("owner")},
        "last_run_due": last_run,
        "runner": home_runner.as_json(),
        "next": None if nxt is None or nxt.interview is None else {
            "interview_id": nxt.interview.id, "title": nxt.interview.title,
            "state": states.get(nxt.interview.id, State.QUEUED.value),
            "slot": nxt.slot.local.isoformat(), "upload_at": nxt.upload_at.isoformat()},
        "in_flight": [{"interview_id": r.id, "title": r.title, "state": r.state,
                       "slot": r.slot_at.isoformat() if r.slot_at else None,
                       "uploaded_bytes": r.progress, "total_bytes": r.total,
                       "waiting": r.last_error if r.next_attempt_at else None,
                       "next_attempt": r.next_attempt_at.isoformat() if r.next_attempt_at
                       else None} for r in in_flight],
        "workers": workers["workers"],
        "leases": workers["leases"],
        "corrections": corrections,
        "withdrawn": withdrawn,
        "needs_attention": needs,
        "needs_you": waiting_on_you(needs, None if rehearsal else home_runner,
                                    None if rehearsal else accounts),
    }


def rehearsal_app(app: App) -> App:
    """The same home, on the database of its rehearsal copy (`run --sandbox`)."""
    from publisher.app import App
    from publisher.home import Home, sandbox_database_url

    return App(Home(path=app.home.path, database_url=sandbox_database_url(app.home.path)),
               actor=app.actor)


def rehearsal_running(app: App, now: dt.datetime) -> bool:
    """Whether `run --sandbox` is beating in the home's rehearsal copy."""
    from publisher.pipeline import state

    box = rehearsal_app(app)
    try:
        with box.transaction(needs_config=False) as s:
            return daemon_health(state.get(s, "daemon"), now)[1]
    except Exception:  # an unreadable rehearsal copy must not break the real status
        return False
    finally:
        box.close()


def journal(app: App, interview_id: int) -> list[dict[str, Any]]:
    """An interview's journal, oldest first: when, what, by which command or job, details."""
    from sqlalchemy import select

    from publisher.store.models import Event

    with app.transaction(needs_config=False) as s:
        rows = s.scalars(select(Event).where(Event.interview_id == interview_id)
                         .order_by(Event.at, Event.id)).all()
        return [{"at": e.at.isoformat(), "what": e.kind, "by": e.actor, "detail": e.detail}
                for e in rows]
