"""publisher.toml: the campaign, its templates and the YouTube defaults, validated at load."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from publisher.errors import ConfigError
from publisher.filecheck import Section, load_toml
from publisher.platforms.youtube import limits

DEFAULT_TITLE_TEMPLATE = "{{ title }}"
#: The length of the quota ledger's key column (quota_usage.quota_project).
QUOTA_PROJECT_MAX_CHARS = 100
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
    # Variants for interviews in another language: {"en": {"title": …, "description": …}}.
    languages: dict[str, dict[str, str]] = field(default_factory=dict)

    def for_language(self, language: str, kind: str) -> str:
        """The template of `kind` for an interview's language (its primary subtag)."""
        variant = self.languages.get(language) or self.languages.get(
            language.split("-")[0].lower(), {})
        return variant.get(kind) or (self.title if kind == "title" else self.description)


@dataclass(frozen=True)
class YouTubeDefaults:
    category_id: str = "22"  # People & Blogs; 27 is Education, 24 Entertainment
    privacy: str = "private"
    made_for_kids: bool = False
    synthetic_media: bool = False
    license: str = "youtube"
    notify_subscribers: bool = True
    api_root: str | None = None   # default Google's; env PUBLISHER_YOUTUBE_API_ROOT wins
    token_uri: str | None = None  # default Google's; env PUBLISHER_GOOGLE_TOKEN_URI wins
    #: Forces the upload chunk size; None (the default): sized to the link as measured
    #: (platforms/youtube/chunks.py, chosen by benchmarks/upload_throughput.py).
    chunk_size_mib: int | None = None
    #: How long `publisher upload` and `publish --now` keep retrying a dropped link.
    retry_for_minutes: int = 30
    timeout_s: int = 60
    daily_uploads: int = 100      # the videos.insert bucket (calls a day)
    daily_units: int = 10_000     # the shared bucket of every other call
    #: The ledger this home's YouTube calls are counted in; None: the Google Cloud project
    #: of the OAuth client (publisher/quota_project.py). Homes with one value share one.
    quota_project: str | None = None


DEFAULT_POST_TEMPLATE = """\
{{ title }}
{% for s in speakers %}{{ s.name }}{% if s.role %} ({{ s.role }}){% endif %}\
{% if not loop.last %}, {% endif %}{% endfor %}

{{ url }}

{{ hashtags | join(" ") }}
"""


def crosspost_platforms() -> tuple[str, ...]:
    """The cross-posting platforms' names, from their specs."""
    from publisher.platforms.spec import crosspost_names

    return crosspost_names()


@dataclass(frozen=True)
class PlatformSettings:
    """A cross-posting platform's table in publisher.toml (`[x]`, `[mastodon]`, …)."""

    api_root: str | None = None   # for a proxy; PUBLISHER_<NAME>_API_ROOT wins over it
    #: Posts a day at most: the spec's default when unset; None when set to "none".
    daily_cap: int | None = None
    daily_cap_set: bool = False
    #: The platform's own keys that were set ([mastodon] visibility), validated: keyword
    #: arguments for its adapter (unset ones keep the adapter's default).
    adapter_options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Posts:
    """The cross-posts' texts: one template, optionally one per platform, optional shorter
    ones used when a text is over a platform's limit, and opt-in truncation."""

    template: str = DEFAULT_POST_TEMPLATE
    per_platform: dict[str, str] = field(default_factory=dict)
    short: dict[str, str] = field(default_factory=dict)
    truncate: tuple[str, ...] = ()

    def template_for(self, platform: str) -> str:
        return self.per_platform.get(platform, self.template)


@dataclass(frozen=True)
class ConsoleFiles:
    """`[web]`: the console's uploads. Folders are relative to the home."""

    #: An uploaded file larger than this is refused while it streams.
    max_upload_mib: int = 4096
    #: The folder whose files the console offers to pick instead of uploading.
    inbox: str = "inbox"
    #: Where uploads are written.
    media: str = "media"


@dataclass(frozen=True)
class Config:
    path: Path
    campaign: Campaign
    templates: Templates = field(default_factory=Templates)
    youtube: YouTubeDefaults = field(default_factory=YouTubeDefaults)
    posts: Posts = field(default_factory=Posts)
    # Each cross-posting platform's table ([x] api_root = …, daily_cap = …).
    platforms: dict[str, PlatformSettings] = field(default_factory=dict)
    # [notifications] on_release: a message for every release (the rest always go out).
    notify_on_release: bool = False
    web: ConsoleFiles = field(default_factory=ConsoleFiles)
    #: The programme this home runs, as the database names it (publisher/store/scope.py).
    programme: str = "default"

    def api_root(self, platform: str) -> str | None:
        """The platform's API root from publisher.toml (its environment variable wins over
        it, in the adapter), for proxies."""
        settings = self.platforms.get(platform)
        return settings.api_root if settings else None

    def adapter_options(self, platform: str) -> dict[str, str]:
        """Keyword arguments publisher.toml gives the platform's adapter ([mastodon]
        visibility = "unlisted" → {"visibility": "unlisted"})."""
        settings = self.platforms.get(platform)
        return dict(settings.adapter_options) if settings else {}

    def daily_cap(self, platform: str) -> int | None:
        """Posts a day the pipeline may make on `platform`; None: no cap."""
        from publisher.platforms.spec import get

        settings = self.platforms.get(platform)
        if settings is not None and settings.daily_cap_set:
            return settings.daily_cap
        return get(platform).daily_cap


def load_config(path: Path) -> Config:
    """Load and validate publisher.toml; every problem names the file and the key."""
    raw = load_toml(path)
    doc = Section(path, raw)
    platforms = crosspost_platforms()
    doc.reject_unknown({"programme", "campaign", "templates", "youtube", "posts",
                        "notifications", "web", *platforms})
    notifications = doc.table("notifications")
    notifications.reject_unknown({"on_release"})
    posts = doc.table("posts")
    settings = {name: _platform_settings(name, doc.table(name)) for name in platforms}
    if posts.has("x_daily_cap") and "x" in settings:
        # Before [x] daily_cap existed, X's cap was [posts] x_daily_cap; still honoured.
        if settings["x"].daily_cap_set:
            raise posts.error("x_daily_cap", "set twice: keep only [x] daily_cap")
        cap = _int(posts, "x_daily_cap", 0, 0, 10_000)
        settings["x"] = dataclasses.replace(settings["x"], daily_cap=cap, daily_cap_set=True)
    return Config(path=path, campaign=_campaign(doc.table("campaign", required=True)),
                  templates=_templates(doc.table("templates")),
                  youtube=_youtube(doc.table("youtube")), posts=_posts(posts),
                  platforms=settings,
                  notify_on_release=notifications.boolean("on_release", False),
                  web=_web(doc.table("web")),
                  programme=programme_name(raw, path))


_PROGRAMME_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def programme_name(raw: Mapping[str, object], path: Path) -> str:
    """publisher.toml's `programme` (default "default"): the name the shared database knows
    this home's programme by. Letters, digits, `.`, `_` and `-`, at most 100."""
    from publisher.store.states import DEFAULT_PROGRAMME

    value = raw.get("programme", DEFAULT_PROGRAMME)
    if not isinstance(value, str) or not _PROGRAMME_NAME.fullmatch(value):
        raise ConfigError(path, "programme", "expected a name of letters, digits, '.', '_' "
                          f"and '-' (at most 100, starting with a letter or digit), found "
                          f"{value!r}")
    return value


def _web(sec: Section) -> ConsoleFiles:
    sec.reject_unknown({"max_upload_mib", "inbox", "media"})
    d = ConsoleFiles()
    folders = {}
    for key, default in (("inbox", d.inbox), ("media", d.media)):
        value = (sec.text(key, default) or default).strip()
        if Path(value).is_absolute() or ".." in Path(value).parts or not value:
            raise sec.error(key, f"expected a folder inside the home (e.g. {default!r}), "
                                 f"found {value!r}")
        folders[key] = value
    return ConsoleFiles(max_upload_mib=_int(sec, "max_upload_mib", d.max_upload_mib, 1,
                                           256 * 1024),
                       inbox=folders["inbox"], media=folders["media"])


def _adapter_choices(platform: str) -> dict[str, tuple[str, ...]]:
    """A platform's own keys in its publisher.toml table, each with its allowed values (the
    adapter's facts): they reach the adapter as keyword arguments."""
    if platform == "mastodon":
        from publisher.platforms.mastodon_options import VISIBILITIES

        return {"visibility": VISIBILITIES}
    return {}


def _platform_settings(platform: str, sec: Section) -> PlatformSettings:
    choices = _adapter_choices(platform)
    sec.reject_unknown({"api_root", "daily_cap", *choices})
    root = sec.text("api_root")
    if root is not None and not root.startswith(("https://", "http://")):
        raise sec.error("api_root", f"expected an address starting with https://, "
                                    f"found {root!r}")
    options: dict[str, str] = {}
    for key, allowed in choices.items():
        value = sec.text(key)
        if value is not None and value not in allowed:
            raise sec.error(key, f"expected one of {', '.join(allowed)}, found {value!r}")
        if value is not None:
            options[key] = value
    if not sec.has("daily_cap"):
        return PlatformSettings(root, adapter_options=options)
    value = sec.data["daily_cap"]
    if isinstance(value, str) and value.strip().lower() == "none":
        return PlatformSettings(root, None, True, options)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
        raise sec.error("daily_cap", f"expected a whole number of posts a day from 0 to "
                                     f"10000, or \"none\" for no cap, found {value!r}")
    return PlatformSettings(root, value, True, options)


def _posts(sec: Section) -> Posts:
    from publisher.text.templates import TemplateError, compile_template

    platforms = crosspost_platforms()
    sec.reject_unknown({"template", "short", "truncate", "x_daily_cap", *platforms})
    template = sec.text("template", DEFAULT_POST_TEMPLATE) or DEFAULT_POST_TEMPLATE
    per_platform = {p: sec.required_text(p) for p in platforms if sec.has(p)}
    short_sec = sec.table("short")
    short_sec.reject_unknown(set(platforms))
    short = {p: short_sec.required_text(p) for p in platforms if short_sec.has(p)}
    sources = [("template", template)] + list(per_platform.items()) + [
        (f"short.{p}", t) for p, t in short.items()]
    for key, source in sources:
        try:
            compile_template(source, sec.key(key))
        except TemplateError as exc:
            raise sec.error(key, f"expected a valid Jinja2 template: {exc}") from None
    truncate = sec.text_list("truncate")
    for i, name in enumerate(truncate):
        if name not in platforms:
            raise sec.error(f"truncate[{i}]", f"unknown platform {name!r} (expected one of "
                                              f"{', '.join(platforms)})")
    return Posts(template=template, per_platform=per_platform, short=short,
                 truncate=tuple(truncate))


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
    from publisher.media import is_valid_language
    from publisher.text.templates import TemplateError, compile_template

    languages = [k for k in sec.data if k not in ("title", "description")]
    for lang in languages:
        if not isinstance(sec.data[lang], dict) or not is_valid_language(lang):
            raise sec.error(lang, "unknown key (expected title, description, or a table of "
                                  "templates for a language such as [templates.en])")
    title = sec.text("title", DEFAULT_TITLE_TEMPLATE) or DEFAULT_TITLE_TEMPLATE
    description = sec.text("description", DEFAULT_DESCRIPTION_TEMPLATE) or ""
    sources = [("title", title), ("description", description)]
    variants: dict[str, dict[str, str]] = {}
    for lang in languages:
        sub = sec.table(lang)
        sub.reject_unknown({"title", "description"})
        variants[lang.lower()] = {k: sub.required_text(k) for k in ("title", "description")
                                  if sub.has(k)}
        sources += [(f"{lang}.{k}", v) for k, v in variants[lang.lower()].items()]
    for key, source in sources:
        try:
            compile_template(source, sec.key(key))
        except TemplateError as exc:
            raise sec.error(key, f"expected a valid Jinja2 template: {exc}") from None
    return Templates(title=title, description=description, languages=variants)


def _youtube(sec: Section) -> YouTubeDefaults:
    sec.reject_unknown({"category_id", "privacy", "made_for_kids", "synthetic_media", "license",
                        "notify_subscribers", "api_root", "token_uri", "chunk_size_mib",
                        "retry_for_minutes", "timeout_s", "daily_uploads", "daily_units",
                        "quota_project"})
    for key in ("api_root", "token_uri"):
        url = sec.text(key)
        if url is not None and not url.startswith(("https://", "http://")):
            raise sec.error(key, f"expected an address starting with https://, found {url!r}")
    d = YouTubeDefaults()
    quota_project = sec.text("quota_project")
    if quota_project is not None and (len(quota_project) > QUOTA_PROJECT_MAX_CHARS
                                      or not quota_project.isprintable()
                                      or quota_project != quota_project.strip()):
        raise sec.error("quota_project", f"expected a name of at most "
                                         f"{QUOTA_PROJECT_MAX_CHARS} printable characters "
                                         "without spaces around it, such as "
                                         "'gcp:123456789012'")
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
                                                          d.notify_subscribers),
                           api_root=sec.text("api_root"), token_uri=sec.text("token_uri"),
                           chunk_size_mib=sec.integer("chunk_size_mib", minimum=1,
                                                      maximum=1024),
                           retry_for_minutes=_int(sec, "retry_for_minutes",
                                                  d.retry_for_minutes, 1, 24 * 60),
                           timeout_s=_int(sec, "timeout_s", d.timeout_s, 5, 3600),
                           daily_uploads=_int(sec, "daily_uploads", d.daily_uploads, 1, 10**6),
                           daily_units=_int(sec, "daily_units", d.daily_units, 1, 10**9),
                           quota_project=quota_project)


def _int(sec: Section, key: str, default: int, low: int, high: int) -> int:
    value = sec.integer(key, default, minimum=low, maximum=high)
    assert value is not None
    return value


def ensure_exists(path: Path) -> None:
    from publisher.home import not_a_home_hint

    if not path.is_file():
        raise ConfigError(path, None, f"not found: {not_a_home_hint(path.parent)}")
