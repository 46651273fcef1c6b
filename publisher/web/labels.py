"""Names the console shows for the product's enums (states, roles), as gettext messages.

`N_` only marks a message for the catalogues; it is translated where it is shown.
"""

from __future__ import annotations

from publisher.store.models import Role, State


def N_(message: str) -> str:
    return message


STATE_LABELS: dict[str, str] = {
    State.QUEUED.value: N_("queued"),
    State.HELD.value: N_("held"),
    State.STAGING.value: N_("uploading"),
    State.STAGED.value: N_("uploaded, private until its slot"),
    State.RELEASED.value: N_("public on YouTube"),
    State.PUBLISHED.value: N_("published"),
    State.NEEDS_ATTENTION.value: N_("needs attention"),
    State.CANCELLED.value: N_("cancelled"),
}

ROLE_LABELS: dict[str, str] = {
    Role.ORGANIZER.value: N_("organizer"),
    Role.VIEWER.value: N_("viewer"),
}

#: The queue page's filter: which interviews to show.
FILTER_LABELS: dict[str, str] = {
    "active": N_("in the queue (not published or cancelled)"),
    "all": N_("all"),
    **STATE_LABELS,
}
