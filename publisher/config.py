"""publisher.toml: the campaign, its templates and the YouTube defaults, validated at load."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from publisher.errors import ConfigError
from publisher.filecheck import Section, load_toml
from publisher.platforms.youtube import limits

DEFAULT_TITLE_TEMPLATE = "{{ title }}"
DEFAULT_DESCRIPTION_TEMPLATE = """\
{{ description }}

{% for s in speakers %}
{{ s.name }}{% if s.role %}, {{ s.role }}{% endif %}

{% endfor %}
{% if campaign.website %}
{{ campaign.name }}: {{ campaign.website }}
{% else %}
{{ campaign.name }}
{% endif %}

{{ hashtags | join(" ") }}
"""


@dataclass(frozen=True)
class Campaign:
    name: str
    language: str = "it"
    hashtags: tuple[str, ...] = ()
    website: str | None = None
    links: tuple[str, ...] = ()
    default_schedule: str | None = None


@dataclass(frozen=True)
class Templates:
    title: str = DEFAULT_TITLE_TEMPLATE
    description: str = DEFAULT_DESCRIPTION_TEMPLATE


@dataclass(frozen=True)
class YouTubeDefaults:
    category_id: str = "22"  # People & Blogs; 27 is Education, 24 Entertainment
    privacy: str = "private"
    made_for_kids: bool = False
    synthetic_media: bool = False
    license: str = "youtube"
    notify_subscribers: bool = True


@dataclass(frozen=True)
class Config:
    path: Path
    campaign: Campaign
    templates: Templates = field(default_factory=Templates)
    youtube: YouTubeDefaults = field(default_factory=YouTubeDefaults)


def load_config(path: Path) -> Config:
    """Load and validate publisher.toml; every problem names the file and the key."""
    doc = Section(path, load_toml(path))
    doc.reject_unknown({"campaign", "templates", "youtube"})
    return Config(path=path, campaign=_campaign(doc.table("campaign", required=True)),
                  templates=_templates(doc.table("templates")),
                  youtube=_youtube(doc.table("youtube")))


def _campaign(sec: Section) -> Campaign:
    from publisher.media import is_valid_language
    from publisher.text.hashtags import HashtagError, combine

    sec.reject_unknown({"name", "language", "hashtags", "website", "links", "default_schedule"})
    language = sec.text("language", "it") or "it"
    if not is_valid_language(language):
        raise sec.error("language", f"expected a BCP-47 language code such as 'it' or 'en-GB', "
                                    f"found {language!r}")
    try:
        hashtags = combine(sec.text_list("hashtags")).tags
    except HashtagError as exc:
        raise sec.error("hashtags", str(exc)) from None
    website = sec.text("website")
    for key, url in [("website", website)] + [(f"links[{i}]", u)
                                              for i, u in enumerate(sec.text_list("links"))]:
        if url is not None and not url.startswith(("https://", "http://")):
            raise sec.error(key, f"expected a web address starting with https://, found {url!r}")
    return Campaign(name=sec.required_text("name"), language=language, hashtags=hashtags,
                    website=website, links=tuple(sec.text_list("links")),
                    default_schedule=sec.text("default_schedule"))


def _templates(sec: Section) -> Templates:
    from publisher.text.templates import TemplateError, compile_template

    sec.reject_unknown({"title", "description"})
    title = sec.text("title", DEFAULT_TITLE_TEMPLATE) or DEFAULT_TITLE_TEMPLATE
    description = sec.text("description", DEFAULT_DESCRIPTION_TEMPLATE) or ""
    for key, source in (("title", title), ("description", description)):
        try:
            compile_template(source, sec.key(key))
        except TemplateError as exc:
            raise sec.error(key, f"expected a valid Jinja2 template: {exc}") from None
    return Templates(title=title, description=description)


def _youtube(sec: Section) -> YouTubeDefaults:
    sec.reject_unknown({"category_id", "privacy", "made_for_kids", "synthetic_media", "license",
                        "notify_subscribers"})
    d = YouTubeDefaults()
    category = sec.text("category_id", d.category_id) or d.category_id
    if not category.isdigit():
        raise sec.error("category_id", f"expected a numeric YouTube category id such as "
                                       f"'22', found {category!r}")
    privacy = sec.text("privacy", d.privacy) or d.privacy
    if privacy not in limits.PRIVACY_STATUSES:
        raise sec.error("privacy", f"expected one of {', '.join(limits.PRIVACY_STATUSES)}, "
                                   f"found {privacy!r}")
    license_ = sec.text("license", d.license) or d.license
    if license_ not in limits.LICENSES:
        raise sec.error("license", f"expected one of {', '.join(limits.LICENSES)}, "
                                   f"found {license_!r}")
    return YouTubeDefaults(category_id=category, privacy=privacy,
                           made_for_kids=sec.boolean("made_for_kids", d.made_for_kids),
                           synthetic_media=sec.boolean("synthetic_media", d.synthetic_media),
                           license=license_,
                           notify_subscribers=sec.boolean("notify_subscribers",
                                                          d.notify_subscribers))


def ensure_exists(path: Path) -> None:
    if not path.is_file():
        raise ConfigError(path, None, "not found: this folder is not a publisher home "
                                      "(run `publisher init` here, or pass --home DIR)")
