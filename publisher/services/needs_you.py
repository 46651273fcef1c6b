"""What waits on the organizer — the one list `publisher status` (text and --json, its exit
status 4) and the console's Needs-you page both show, so they never disagree
(`waiting_on_you`): everything in the queue that needs a person (services/status.py), a
daemon or run-due that stopped keeping the cadence (services/runner.py), and an account or
a secret file to see to (services/accounts.py, read from the files: no call).

Beside it the page shows today's quota and, when asked for, `doctor`'s checks and the
accounts proved with Google: those are a further question (`publisher doctor`'s), and what
they find is added to the page's answer, not to `status`'s.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from publisher.app import App
    from publisher.services.accounts import AccountsReport
    from publisher.services.doctor import Check
    from publisher.services.quota_today import QuotaToday
    from publisher.services.runner import Runner


@dataclass(frozen=True)
class NeedsYou:
    status: dict[str, Any]             # publisher/services/status.py's gather_status
    accounts: AccountsReport           # proved (a token refresh) only with the checks
    quota: QuotaToday
    checks: list[Check] | None = None  # None: not run (they call the network)
    checks_error: str | None = None    # the checks could not run at all
    proved: bool = False               # the accounts were proved, not only read

    @property
    def accounts_waiting(self) -> list[str]:
        """Accounts that need the organizer (not authorised, incomplete, expired, ...)."""
        return [s.platform for s in self.accounts.statuses if s.needs_person]

    @property
    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks or [] if c.verdict != "pass"]

    @property
    def waiting(self) -> list[dict[str, Any]]:
        """`waiting_on_you`'s list, as `publisher status` has it."""
        return list(self.status["needs_you"])

    @property
    def all_well(self) -> bool:
        """Nothing waits on the organizer (`status` would say so too), and every check that
        was run passed."""
        return not self.waiting and not self.failed_checks and self.checks_error is None


class NeedKind(enum.StrEnum):
    """What a need is about: one interview, or the home as a whole."""

    INTERVIEW = "interview"  # an interview or one of its posts (with its `publisher` fix)
    RUNNER = "runner"        # the daemon or run-due stopped keeping the cadence
    ACCOUNT = "account"      # an account to authorise or fill in
    FILE = "file"            # a secret file open to others


def waiting_on_you(queue: list[dict[str, Any]], runner: Runner | None,
                   accounts: AccountsReport | None) -> list[dict[str, Any]]:
    """The one list of what waits on the organizer, in the order it is shown: the queue's
    needs (status's `needs_attention`), the runner if it is late, then the accounts and the
    secret files. Each item: kind, key (which item it is, the same wherever it is shown),
    interview_id (None for the home's), title, platform, reason and fix."""
    from publisher.pipeline.authorisation import FIX as AUTHORISE

    out = [{**need, "kind": NeedKind.INTERVIEW.value,
            "key": f"interview:{need['interview_id']}:{need['platform']}"} for need in queue]

    def home(kind: NeedKind, name: str, platform: str, reason: str, fix: str) -> None:
        out.append({"kind": kind.value, "key": f"{kind.value}:{name}", "interview_id": None,
                    "title": "", "platform": platform, "reason": reason, "fix": fix})

    if runner is not None and not runner.healthy:
        from publisher.services.runner import FIX

        home(NeedKind.RUNNER, runner.state.value, "", runner.reason(), FIX)
    told = {(need.get("platform"), need.get("fix")) for need in out}
    for account in accounts.statuses if accounts is not None else []:
        if account.needs_person:
            label = _label(account.platform)
            fix = AUTHORISE if account.platform == "youtube" else (
                f"fill in the {account.platform} section of credentials.json "
                "(`publisher auth status` says what is missing)")
            if (account.platform, fix) in told:
                continue  # an interview waiting on it already says so, with the same fix
            home(NeedKind.ACCOUNT, account.platform, account.platform,
                 f"the {label} account: {account.detail}", fix)
    for n, warning in enumerate(accounts.warnings if accounts is not None else []):
        home(NeedKind.FILE, str(n), "", warning, "")
    return out


def _label(platform: str) -> str:
    """The platform's name for people (YouTube, Mastodon), from its spec."""
    from publisher.platforms.spec import get

    try:
        return get(platform).label
    except LookupError:
        return platform


def needs_you(app: App, now: dt.datetime, *, run_checks: bool = False) -> NeedsYou:
    """Everything the page shows. Without `run_checks` nothing here calls the network."""
    from publisher.errors import PublisherError
    from publisher.services.accounts import check_accounts
    from publisher.services.doctor import run_checks as doctor_checks
    from publisher.services.quota_today import quota_today
    from publisher.services.status import gather_status

    accounts = check_accounts(app, prove=run_checks)
    status = gather_status(app, now, accounts=accounts)
    checks: list[Check] | None = None
    error: str | None = None
    if run_checks:
        try:
            checks = doctor_checks(app, now)
        except (PublisherError, OSError) as exc:
            error = str(exc)
    return NeedsYou(status=status, accounts=accounts, quota=quota_today(app, now),
                    checks=checks, checks_error=error, proved=run_checks)
