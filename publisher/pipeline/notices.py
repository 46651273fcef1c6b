"""The notifications that tell organizers something needs them, in the campaign's language
(publisher/i18n.py's catalogues, the console's own). What went wrong (the reason, from the
platform or the pipeline) stays as it was recorded; its frame — the subject, "To fix:" — is
translated."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publisher.pipeline.runtime import Runtime


def needs_attention(rt: Runtime, interview_id: int, reason: str, fix: str | None = None, *,
                    platform: str | None = None) -> None:
    """An interview (or its post on `platform`) needs attention: why, and what fixes it."""
    _ = rt.translator().gettext
    if platform is None:
        subject = _("Interview %(id)s needs attention") % {"id": interview_id}
    else:
        subject = _("Interview %(id)s needs attention on %(platform)s") % {
            "id": interview_id, "platform": platform}
    body = _("%(reason)s. To fix: %(fix)s") % {"reason": reason, "fix": fix} if fix else reason
    rt.notify(subject, body)
