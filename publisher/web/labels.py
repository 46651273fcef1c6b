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
    State.WITHDRAWN.value: N_("withdrawn"),
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

#: What each journal entry says happened: publisher/lifecycle.py's EventKind values (the
#: console does not import the lifecycle; tests/web/test_web_interview.py checks every kind
#: is here).
EVENT_LABELS: dict[str, str] = {
    "queued": N_("queued"),
    "edited": N_("edited"),
    "moved": N_("moved"),
    "held": N_("held"),
    "unheld": N_("released from hold"),
    "cancelled": N_("cancelled"),
    "removed": N_("removed"),
    "restored": N_("restored"),
    "retry": N_("retry asked"),
    "resolved": N_("recorded by hand"),
    "skipped": N_("platform skipped"),
    "staging": N_("upload started"),
    "staged": N_("uploaded, private until its slot"),
    "released": N_("public on YouTube"),
    "published": N_("published"),
    "needs_attention": N_("needs attention"),
    "slot_missed": N_("slot missed"),
    "upload_session_started": N_("upload session opened"),
    "uploaded": N_("video uploaded"),
    "youtube_retry": N_("YouTube: will try again"),
    "youtube_waiting": N_("YouTube: waiting"),
    "youtube_needs_attention": N_("YouTube: needs attention"),
    "youtube_step": N_("YouTube: a decoration"),
    "posted": N_("posted"),
    "post_found": N_("post found after a lost answer"),
    "post_skipped": N_("post skipped"),
    "post_retry": N_("post: will try again"),
    "post_waiting": N_("post: waiting"),
    "post_needs_attention": N_("post: needs attention"),
    "correction_recorded": N_("correction recorded"),
    "correction_applied": N_("correction applied on YouTube"),
    "correction_waiting": N_("correction: waiting"),
    "correction_conflict": N_("correction: changed in YouTube Studio"),
    "correction_needs_attention": N_("correction: needs attention"),
    "withdrawn": N_("withdrawn"),
    "video_made_private": N_("video made private"),
    "post_deleted": N_("post deleted"),
    "post_delete_waiting": N_("post deletion: waiting"),
    "post_delete_needs_attention": N_("post deletion: needs attention"),
    "post_deleted_by_hand": N_("post deleted by hand"),
    "republished": N_("republished"),
}

#: The units texts are counted in (publisher/platforms/spec.py's TextRule, YouTube's limits).
UNIT_LABELS: dict[str, str] = {
    "characters": N_("characters"),
    "bytes": N_("bytes"),
    "weighted characters": N_("weighted characters"),
    "graphemes": N_("graphemes"),
    "UTF-16 units": N_("UTF-16 units"),
}

#: The fields of a video on YouTube a sync compares (publisher/platforms/youtube/fields.py's
#: Field values; tests/web/test_interview_youtube.py checks every one is here).
YOUTUBE_FIELD_LABELS: dict[str, str] = {
    "title": N_("Title"),
    "description": N_("Description"),
    "tags": N_("Tags"),
    "category": N_("category"),
    "default_language": N_("default language"),
    "localizations": N_("localizations"),
    "license": N_("license"),
    "embeddable": N_("embeddable"),
    "made_for_kids": N_("made for kids"),
    "synthetic_media": N_("altered or synthetic content"),
    "recording_date": N_("recording date"),
    "privacy": N_("privacy"),
    "publish_at": N_("scheduled publishing"),
}

#: What a sync with YouTube came to (publisher/pipeline/correct.py's Outcome values).
SYNC_OUTCOME_LABELS: dict[str, str] = {
    "applied": N_("the changes were sent to YouTube"),
    "up_to_date": N_("YouTube already shows what publisher holds"),
    "dry_run": N_("compared only"),
    "conflict": N_("a field was changed in YouTube Studio"),
    "waiting": N_("waiting"),
    "needs_attention": N_("needs attention"),
    "busy": N_("another worker is busy with it"),
    "not_on_youtube": N_("not on YouTube"),
}
