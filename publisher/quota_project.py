"""Which quota ledger a home's YouTube calls count in: its Google Cloud project's.

YouTube's daily quota belongs to the Google Cloud project of the OAuth client, not to a
channel: homes (programmes) whose clients belong to one project draw on one quota, so they
keep one ledger (publisher/quota.py). The key, first found wins:

1. `[youtube] quota_project` in publisher.toml, for anything the files cannot tell;
2. `gcp:<project number>`: an OAuth client id reads "<project number>-<hash>.apps.
   googleusercontent.com", from the client file (credentials.json's
   youtube.client_secrets_file) or, without it, the token file (google-auth's format carries
   the client id too). Widely relied on, though Google does not promise it;
3. the client file's `project_id`;
4. `home:<hash of the home's folder>`: this home's own ledger.

Client ids are not secret (they appear in every consent address), and nothing else is read.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from publisher.config import Config
    from publisher.credentials import Credentials
    from publisher.home import Home

_PROJECT_NUMBER = re.compile(r"(\d{1,40})-[^.]+\.apps\.googleusercontent\.com")
_CLIENT_KINDS = ("installed", "web")


@dataclass(frozen=True)
class QuotaProject:
    key: str     # quota_usage.quota_project
    source: str  # where it came from, for people

    @property
    def shared(self) -> bool:
        """Whether other homes may count in this ledger (not a home's own)."""
        return not self.key.startswith("home:")


def project_of_client_id(client_id: object) -> str | None:
    """`gcp:<project number>` from an OAuth client id, or None if it has no number."""
    if not isinstance(client_id, str):
        return None
    found = _PROJECT_NUMBER.fullmatch(client_id.strip())
    return f"gcp:{int(found.group(1))}" if found else None


def home_key(home: Home) -> str:
    digest = hashlib.sha256(str(home.path.resolve()).encode()).hexdigest()
    return f"home:{digest[:16]}"


def quota_project(home: Home, config: Config, credentials: Credentials) -> QuotaProject:
    """The ledger of this home's YouTube calls (see the module's docstring)."""
    from publisher.config import QUOTA_PROJECT_MAX_CHARS

    if config.youtube.quota_project:
        return QuotaProject(config.youtube.quota_project, "[youtube] quota_project")
    section = credentials.section("youtube")
    client = _client_section(_read_json(home, section.get("client_secrets_file")))
    client_name = section.get("client_secrets_file")
    key = project_of_client_id(client.get("client_id"))
    if key:
        return QuotaProject(key, f"the OAuth client's id in {client_name}")
    token = _read_json(home, section.get("token_file"))
    key = project_of_client_id(token.get("client_id"))
    if key:
        return QuotaProject(key, f"the OAuth client's id in {section.get('token_file')}")
    project_id = client.get("project_id")
    if isinstance(project_id, str) and 0 < len(project_id.strip()) <= QUOTA_PROJECT_MAX_CHARS:
        return QuotaProject(project_id.strip(), f"the project_id in {client_name}")
    return QuotaProject(home_key(home), "this home alone (no Google Cloud project found in "
                                        "its OAuth client)")


def _read_json(home: Home, name: object) -> dict[str, Any]:
    if not isinstance(name, str) or not name.strip():
        return {}
    path = Path(name).expanduser()
    path = path if path.is_absolute() else home.path / path
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}  # `doctor` and `auth youtube` say what is wrong with the file
    return doc if isinstance(doc, dict) else {}


def _client_section(doc: dict[str, Any]) -> dict[str, Any]:
    for kind in _CLIENT_KINDS:
        if isinstance(doc.get(kind), dict):
            return dict(doc[kind])
    return {}
