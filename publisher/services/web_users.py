"""The web console's accounts: add, list, remove, change a password, check a login.

Passwords are hashed with Argon2 (argon2-cffi) and never kept, logged or returned in clear.
Every function validates first and writes nothing when anything is wrong (InputError naming
the field, the value and the limit). The CLI (`publisher web user …`) and the console call
these, so the rules are written once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from publisher.errors import InputError, NotFoundError
from publisher.store.models import Role, WebUser

if TYPE_CHECKING:
    from argon2 import PasswordHasher
    from sqlalchemy.orm import Session

    from publisher.app import App

NAME_MAX = 60
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")
PASSWORD_MIN = 8
PASSWORD_MAX = 1024  # Argon2 takes any length; a megabyte "password" is an attack, not a secret


@dataclass(frozen=True)
class Account:
    """An account as the console and `user list` see it (no hash)."""

    id: int
    name: str
    role: Role
    created_at: dt.datetime
    session_epoch: int

    @property
    def can_change(self) -> bool:
        return self.role is Role.ORGANIZER


def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()


def check_name(name: str) -> str:
    if not name:
        raise InputError("name: empty; give the account's name (letters, digits, . _ @ -)")
    if len(name) > NAME_MAX:
        raise InputError(f"name: {len(name)} characters, at most {NAME_MAX} allowed")
    if not NAME_PATTERN.fullmatch(name):
        raise InputError(f"name: {name!r} may hold only letters, digits and . _ @ - (and "
                         "start with a letter or digit)")
    return name


def check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        allowed = " or ".join(r.value for r in Role)
        raise InputError(f"role: {role!r} is not a role; use {allowed}") from None


def check_password(password: str) -> str:
    if not password:
        raise InputError("password: empty; give a password of at least "
                         f"{PASSWORD_MIN} characters")
    if len(password) < PASSWORD_MIN:
        raise InputError(f"password: {len(password)} characters, at least {PASSWORD_MIN} "
                         "needed")
    if len(password) > PASSWORD_MAX:
        raise InputError(f"password: {len(password)} characters, at most {PASSWORD_MAX} "
                         "allowed")
    return password


def _account(user: WebUser) -> Account:
    return Account(user.id, user.name, Role(user.role), user.created_at, user.session_epoch)


def _find(session: Session, name: str) -> WebUser | None:
    from sqlalchemy import select


    return session.scalars(select(WebUser).where(WebUser.name == name)).first()


def _get(session: Session, name: str) -> WebUser:
    user = _find(session, name)
    if user is None:
        raise NotFoundError(f"name: there is no account {name!r} (see `publisher web user "
                            "list`)")
    return user


def add_user(app: App, name: str, role: str, password: str) -> Account:
    """A new account; refused if the name is taken."""

    check_name(name)
    checked_role = check_role(role)
    check_password(password)
    hashed = _hasher().hash(password)
    with app.transaction(needs_config=False) as session:
        if _find(session, name) is not None:
            raise InputError(f"name: there is already an account {name!r} (`publisher web "
                             f"user password {name}` changes its password)")
        user = WebUser(name=name, role=checked_role.value, password_hash=hashed,
                       session_epoch=0)
        session.add(user)
        session.flush()
        return _account(user)


def list_users(app: App) -> list[Account]:
    from sqlalchemy import select


    with app.transaction(needs_config=False) as session:
        return [_account(u) for u in session.scalars(select(WebUser).order_by(WebUser.name))]


def get_user(app: App, name: str) -> Account:
    with app.transaction(needs_config=False) as session:
        return _account(_get(session, name))


def remove_user(app: App, name: str) -> Account:
    with app.transaction(needs_config=False) as session:
        user = _get(session, name)
        account = _account(user)
        session.delete(user)
        return account


def set_password(app: App, name: str, password: str) -> Account:
    """A new password; every session of the account is over."""
    check_password(password)
    hashed = _hasher().hash(password)
    with app.transaction(needs_config=False) as session:
        user = _get(session, name)
        user.password_hash = hashed
        user.session_epoch += 1
        return _account(user)


def end_sessions(app: App, user_id: int) -> None:
    """Log the account out everywhere: every session started so far is over."""
    with app.transaction(needs_config=False) as session:
        user = session.get(WebUser, user_id)
        if user is not None:
            user.session_epoch += 1


# A hash to verify against when the name is unknown, so that an unknown name takes as long
# to refuse as a wrong password (the answer's timing tells nothing).
_DUMMY_HASH: str | None = None


def authenticate(app: App, name: str, password: str) -> Account | None:
    """The account if `password` is its password, else None (unknown name or wrong
    password alike). The hash is checked outside any transaction (it takes a while on
    purpose); one made with older parameters is upgraded on the way."""
    from argon2.exceptions import InvalidHashError, VerificationError

    global _DUMMY_HASH
    hasher = _hasher()
    if not name or not password or len(password) > PASSWORD_MAX or len(name) > NAME_MAX:
        return None
    with app.transaction(needs_config=False) as session:
        user = _find(session, name)
        found = (_account(user), user.password_hash) if user is not None else None
    if found is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hasher.hash("not a password of anyone")
        with contextlib.suppress(VerificationError):
            hasher.verify(_DUMMY_HASH, password)
        return None
    account, stored = found
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if hasher.check_needs_rehash(stored):
        with app.transaction(needs_config=False) as session:
            user = session.get(WebUser, account.id)
            if user is not None and user.password_hash == stored:
                user.password_hash = hasher.hash(password)
    return account


def session_account(app: App, user_id: int, epoch: int) -> Account | None:
    """The account of a session started in `epoch`, if the account still exists and no
    logout or new password ended its sessions since."""
    with app.transaction(needs_config=False) as session:
        user = session.get(WebUser, user_id)
        if user is None or user.session_epoch != epoch:
            return None
        return _account(user)
