"""What YouTube should hold about an interview: its texts rendered, its settings defaulted.

One function for the upload (pipeline/youtube_stage.py) and for a correction
(publisher/corrections.py), so that both always mean the same video.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from publisher.platforms.errors import PermanentError
from publisher.platforms.youtube.metadata import VideoMeta
from publisher.queue import text_of
from publisher.text.youtube_text import render_youtube

if TYPE_CHECKING:
    from publisher.config import Config
    from publisher.schedules import Schedule
    from publisher.store.models import Interview


def video_meta(config: Config, schedules: dict[str, Schedule], item: Interview) -> VideoMeta:
    """The interview as YouTube receives it (raises PermanentError when its texts no longer
    pass YouTube's rules, e.g. after the campaign's templates changed)."""
    yt = config.youtube
    text = render_youtube(config, text_of(item, schedules, config.campaign.default_schedule))
    if text.problems:
        raise PermanentError("the title or description no longer passes YouTube's rules: "
                             + "; ".join(text.problems), platform="youtube")
    return VideoMeta(
        title=text.title, description=text.description, tags=text.tags,
        category_id=item.category_id or yt.category_id, language=item.language,
        privacy=item.privacy or yt.privacy,
        made_for_kids=yt.made_for_kids if item.made_for_kids is None else item.made_for_kids,
        synthetic_media=(yt.synthetic_media if item.synthetic_media is None
                         else item.synthetic_media),
        license=item.license or yt.license, recording_date=item.recording_date,
        localizations={loc.language: (loc.title, loc.description)
                       for loc in item.localizations},
        embeddable=True if item.embeddable is None else item.embeddable)
