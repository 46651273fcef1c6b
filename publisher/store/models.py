"""SQLAlchemy 2 models: the queue of interviews, their journal, the per-platform
publication records and the YouTube quota ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from publisher.store.scope import ProgrammeScoped
from publisher.store.states import (
    ACTIVE,
    CorrectionState,
    ProgrammeState,
    PublicationState,
    Role,
    State,
)
from publisher.store.types import UTCDateTime, utcnow

__all__ = ["ACTIVE", "Base", "CaptionTrack", "Correction", "CorrectionState", "Event",
           "Interview", "Localization", "Programme", "ProgrammeScoped", "ProgrammeState",
           "Publication", "PublicationState", "QuotaUsage", "Role", "RuntimeState", "Speaker",
           "State", "WebUser", "Worker"]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


_programme_state_values = ", ".join(f"'{s.value}'" for s in ProgrammeState)


class Programme(Base):
    """One programme (one home) of a deployment: every other row but the quota ledger's
    belongs to one (publisher/store/scope.py). `name` is the `programme` of its home's
    publisher.toml; a paused programme is left alone by `run-due` and the daemon."""

    __tablename__ = "programmes"
    __table_args__ = (
        CheckConstraint(f"state IN ({_programme_state_values})", name="state_valid"),
        # The workers' tick: the active programmes whose next wake has come (migration 0018).
        Index("ix_programmes_state_next_wake_at", "state", "next_wake_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    home_path: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default=ProgrammeState.ACTIVE.value)
    #: The ledger its YouTube calls count in (publisher/quota_project.py), recorded at each
    #: charge: the programmes of one project keep units for each other's releases.
    quota_project: Mapped[str | None] = mapped_column(String(100), index=True)
    #: When the workers' tick plans it next (publisher/store/plan_gate.py), in the clock its
    #: plans use; NULL: at the next tick. Any write to its rows sets it back to NULL.
    next_wake_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The stamp of the home files (configuration, schedules, credentials) its last plan
    #: used: the tick plans it again when they changed.
    home_stamp: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                    onupdate=utcnow)


_state_values = ", ".join(f"'{s.value}'" for s in State)


class Interview(ProgrammeScoped, Base):
    """One finished interview in the queue, with everything that will be published about it."""

    __tablename__ = "interviews"
    __table_args__ = (
        CheckConstraint(f"state IN ({_state_values})", name="state_valid"),
        CheckConstraint("video_size >= 0", name="video_size_positive"),
        # Every query of a programme names it (store/scope.py): its indexes lead with it, so
        # that no lookup reads the other programmes' rows (migration 0015).
        Index("ix_interviews_programme_position", "programme_id", "position"),
        Index("ix_interviews_programme_state_position", "programme_id", "state", "position"),
        Index("ix_interviews_programme_slot_at", "programme_id", "slot_at"),
        Index("ix_interviews_programme_video_sha256", "programme_id", "video_sha256"),
        # Ids are never reused (SQLite would give a removed newest id to the next interview,
        # which would inherit its journal). PostgreSQL's sequence never goes back anyway.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default=State.QUEUED.value)

    # The video file, as probed when it was queued.
    video_path: Mapped[str] = mapped_column(Text)
    video_size: Mapped[int] = mapped_column(BigInteger)
    video_sha256: Mapped[str] = mapped_column(String(64))
    video_duration_s: Mapped[float] = mapped_column(Float)
    video_width: Mapped[int] = mapped_column(Integer)
    video_height: Mapped[int] = mapped_column(Integer)
    video_codec: Mapped[str] = mapped_column(String(40))
    audio_codec: Mapped[str | None] = mapped_column(String(40))
    container_format: Mapped[str] = mapped_column(String(80))

    # What is said about it (before templates are applied).
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    hashtags: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(35))
    thumbnail_path: Mapped[str | None] = mapped_column(Text)

    # YouTube settings; None means "the campaign's default from publisher.toml".
    playlist: Mapped[str | None] = mapped_column(String(200))
    category_id: Mapped[str | None] = mapped_column(String(10))
    privacy: Mapped[str | None] = mapped_column(String(10))
    made_for_kids: Mapped[bool | None] = mapped_column(Boolean)
    synthetic_media: Mapped[bool | None] = mapped_column(Boolean)
    embeddable: Mapped[bool | None] = mapped_column(Boolean)
    license: Mapped[str | None] = mapped_column(String(20))
    recording_date: Mapped[dt.date | None] = mapped_column(Date)
    recording_place: Mapped[str | None] = mapped_column(String(200))
    # This interview's own templates (title / description / post), over the schedule's.
    templates: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    # When and where it goes out.
    schedule: Mapped[str | None] = mapped_column(String(100))
    not_before: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    # The slot (UTC) this interview was committed to when its upload started.
    slot_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    attention_reason: Mapped[str | None] = mapped_column(Text)
    # Leases (used by the daemon): one worker at a time acts on an interview.
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: When the lease's holder took it (a renewal keeps it): `status` says since when.
    lease_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                    onupdate=utcnow)

    speakers: Mapped[list[Speaker]] = relationship(
        back_populates="interview", cascade="all, delete-orphan", order_by="Speaker.position")
    captions: Mapped[list[CaptionTrack]] = relationship(
        back_populates="interview", cascade="all, delete-orphan", order_by="CaptionTrack.language")
    localizations: Mapped[list[Localization]] = relationship(
        back_populates="interview", cascade="all, delete-orphan",
        order_by="Localization.language")
    publications: Mapped[list[Publication]] = relationship(
        back_populates="interview", cascade="all, delete-orphan", order_by="Publication.id")


class Speaker(ProgrammeScoped, Base):
    """Someone who speaks in the interview: an artist, a museum director, an official."""

    __tablename__ = "speakers"
    __table_args__ = (UniqueConstraint("interview_id", "position",
                                       name="uq_speakers_interview_position"),
                      Index("ix_speakers_programme_interview", "programme_id", "interview_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(200))
    links: Mapped[list[str]] = mapped_column(JSON, default=list)

    interview: Mapped[Interview] = relationship(back_populates="speakers")


class CaptionTrack(ProgrammeScoped, Base):
    """A caption file for one language."""

    __tablename__ = "caption_tracks"
    __table_args__ = (UniqueConstraint("interview_id", "language",
                                       name="uq_caption_tracks_interview_language"),
                      Index("ix_caption_tracks_programme_interview", "programme_id",
                            "interview_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(35))
    path: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(8))

    interview: Mapped[Interview] = relationship(back_populates="captions")


class Localization(ProgrammeScoped, Base):
    """A title and description in another language (YouTube `localizations`)."""

    __tablename__ = "localizations"
    __table_args__ = (UniqueConstraint("interview_id", "language",
                                       name="uq_localizations_interview_language"),
                      Index("ix_localizations_programme_interview", "programme_id", "interview_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(35))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")

    interview: Mapped[Interview] = relationship(back_populates="localizations")


class Event(ProgrammeScoped, Base):
    """The append-only journal: what happened to an interview, when, and by whom.

    `interview_id` is deliberately not a foreign key: the journal outlives a removed interview.
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_programme_interview", "programme_id", "interview_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interview_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kind: Mapped[str] = mapped_column(String(60))
    actor: Mapped[str] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


_pub_state_values = ", ".join(f"'{s.value}'" for s in PublicationState)


class Publication(ProgrammeScoped, Base):
    """One side effect on one platform for one interview, e.g. (3, youtube, video) or
    (3, mastodon, post); its idempotency handle is committed before the request."""

    __tablename__ = "publications"
    __table_args__ = (
        UniqueConstraint("interview_id", "platform", "step", "account",
                         name="uq_publications_interview_platform_step_account"),
        CheckConstraint(f"state IN ({_pub_state_values})", name="state_valid"),
        Index("ix_publications_programme_interview", "programme_id", "interview_id"),
        Index("ix_publications_programme_state", "programme_id", "state"),
        Index("ix_publications_programme_next_attempt_at", "programme_id", "next_attempt_at"),
        # A programme's done videos and posts, and a video's release record by its
        # interview (alembic 0016 says why interview_id).
        Index("ix_publications_programme_id_step_state_interview_id", "programme_id", "step",
              "state", "interview_id"),
        # What went out (services/published.py), newest first: one walk of this index, the
        # page's order and filters all in it (alembic 0017).
        Index("ix_publications_programme_state_went_out_at", "programme_id", "state",
              "went_out_at", "interview_id", "platform", "step"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    step: Mapped[str] = mapped_column(String(40), default="post")
    account: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(20), default=PublicationState.PENDING.value)
    handle: Mapped[str | None] = mapped_column(Text)      # session URI, idempotency key, rkey
    remote_id: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                    onupdate=utcnow)
    #: When it went out: set on a video record once the video is public, on a post record
    #: with the entry saying it went out (`lifecycle.stamp_public_video`, `journal`); the
    #: latest time the journal gives for it. NULL on every other record.
    went_out_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    interview: Mapped[Interview] = relationship(back_populates="publications")


_correction_state_values = ", ".join(f"'{s.value}'" for s in CorrectionState)


class Correction(ProgrammeScoped, Base):
    """A change of an interview already on YouTube, waiting to be (or once) applied there.

    The interview's own columns hold the new wanted values; this row says which YouTube
    fields (`fields`, publisher/platforms/youtube/fields.py names) still have to be sent, and
    `known` the value each of them had when publisher last set it (what the upload or the
    last correction sent): a live value that differs from it was changed by hand in YouTube
    Studio, and is not overwritten without `--force`.
    """

    __tablename__ = "corrections"
    __table_args__ = (
        CheckConstraint(f"state IN ({_correction_state_values})", name="state_valid"),
        Index("ix_corrections_programme_interview", "programme_id", "interview_id"),
        Index("ix_corrections_programme_state_next_attempt_at", "programme_id", "state",
              "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20), default="youtube")
    state: Mapped[str] = mapped_column(String(20), default=CorrectionState.PENDING.value)
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    known: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: What the last videos.update sent (field → value), saved before the request.
    sent: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100), default="cli")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                    onupdate=utcnow)
    applied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class QuotaUsage(Base):
    """Units used per quota bucket per Pacific-time day (when YouTube resets its quotas), per
    ledger: a Google Cloud project's quota is shared by every OAuth client of the project,
    so homes whose clients share one project share one ledger (publisher/quota_project.py).
    A deployment-level table: its rows belong to a project, not to a programme."""

    __tablename__ = "quota_usage"

    quota_project: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(40), primary_key=True)
    units: Mapped[int] = mapped_column(Integer, default=0)


class RuntimeState(ProgrammeScoped, Base):
    """Small facts the daemon and run_due keep between runs (last run, heartbeat), per
    programme."""

    __tablename__ = "runtime_state"

    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChangeCounter(Base):
    """One row whose `n` SQLite triggers move at every write to any other table (migration
    0010): run-due's proof that nothing changed since its last look (pipeline/quiet.py).
    Never written by the code; on PostgreSQL it stays 0."""

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


_role_values = ", ".join(f"'{r.value}'" for r in Role)


class WebUser(ProgrammeScoped, Base):
    """An account of the web console (`publisher web user …`). The password is kept only as
    an Argon2 hash. Each session remembers the account's `session_epoch` at login; a logout
    or a new password moves the epoch on, and every earlier session is over."""

    __tablename__ = "web_users"
    __table_args__ = (CheckConstraint(f"role IN ({_role_values})", name="role_valid"),
                      UniqueConstraint("programme_id", "name",
                                       name="uq_web_users_programme_name"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(20), default=Role.ORGANIZER.value)
    password_hash: Mapped[str] = mapped_column(Text)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                    onupdate=utcnow)


class Worker(Base):
    """A `publisher worker` process, for `status`: who it is (the lease owner's prefix, so
    a lease names its worker), when it started, its last beat, and when it stopped cleanly.
    Deployment-wide: a worker serves every programme of the database."""

    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)  # worker:host:pid:uuid
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    concurrency: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
