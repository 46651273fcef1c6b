"""What the console's Needs-you page shows beside `publisher status`'s data: each account's
authorisation as its files say (no call: the cheap view), today's quota, `doctor`'s checks
when asked for (they call the network), and whether anything at all waits on the organizer
— the page says "all is well" only when nothing does."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from publisher.app import App
    from publisher.services.accounts import AccountsReport
    from publisher.services.doctor import Check
    from publisher.services.quota_today import QuotaToday


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
    def all_well(self) -> bool:
        """Nothing waits on the organizer: the daemon runs, nothing needs attention, every
        account that is set up works as far as is known, no secret file is open to others,
        and every check that was run passed."""
        return (bool(self.status["daemon"]["alive"]) and not self.status["needs_attention"]
                and not self.accounts_waiting and not self.accounts.warnings
                and not self.failed_checks and self.checks_error is None)


def needs_you(app: App, now: dt.datetime, *, run_checks: bool = False) -> NeedsYou:
    """Everything the page shows. Without `run_checks` nothing here calls the network."""
    from publisher.errors import PublisherError
    from publisher.services.accounts import check_accounts
    from publisher.services.doctor import run_checks as doctor_checks
    from publisher.services.quota_today import quota_today
    from publisher.services.status import gather_status

    status = gather_status(app, now)
    accounts = check_accounts(app, prove=run_checks)
    checks: list[Check] | None = None
    error: str | None = None
    if run_checks:
        try:
            checks = doctor_checks(app, now)
        except (PublisherError, OSError) as exc:
            error = str(exc)
    return NeedsYou(status=status, accounts=accounts, quota=quota_today(app, now),
                    checks=checks, checks_error=error, proved=run_checks)
