"""YouTube OAuth: the installed-app flow, the token file, refreshing, and invalid_grant.

The token file is google-auth's authorized-user JSON, written 0600 and atomically, and
re-saved after each refresh. `from_authorized_user_info` always resets the token URI to
Google's, so the configured one is applied afterwards (tests and proxies rely on it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publisher.credentials import write_private
from publisher.platforms.errors import AuthError, TransientError
from publisher.platforms.youtube.client import SCOPES, Endpoints

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials

REAUTH_HINT = ("run `publisher auth youtube` to authorise again (if the Google Cloud "
               "project's OAuth consent screen is in \"Testing\" status, Google expires its "
               "tokens after 7 days: publish it \"In production\" to stop this)")


def load_credentials(token_file: Path, endpoints: Endpoints) -> Credentials:
    """The saved credentials, pointed at the configured token endpoint."""
    try:
        info = json.loads(token_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AuthError(f"YouTube is not authorised yet ({token_file} does not exist): run "
                        "`publisher auth youtube`", platform="youtube") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AuthError(f"the YouTube token file {token_file} cannot be read ({exc}): "
                        + REAUTH_HINT, platform="youtube") from None
    try:
        creds = _credentials_class().from_authorized_user_info(  # type: ignore[no-untyped-call]
            info, list(SCOPES))
    except ValueError as exc:
        raise AuthError(f"the YouTube token file {token_file} is incomplete ({exc}): "
                        + REAUTH_HINT, platform="youtube") from None
    moved: Credentials = creds.with_token_uri(endpoints.token_uri)
    _register(moved)
    return moved


def _register(creds: Credentials) -> None:
    """Tell the log redaction about this authorisation's secrets (see publisher/redact.py)."""
    from publisher.redact import register

    register(creds.token, creds.refresh_token, creds.client_secret)


def _credentials_class() -> type[Credentials]:
    """google-auth's Credentials whose every refresh, including the one the authorised http
    makes by itself after a 401 mid-request, ends in our errors and registers the new access
    token with the log redaction: a revoked authorisation waits for a person (AuthError)
    instead of escaping as an unexpected RefreshError."""
    from google.oauth2.credentials import Credentials

    class _Credentials(Credentials):
        def refresh(self, request: Any) -> None:
            import google.auth.exceptions

            try:
                super().refresh(request)  # type: ignore[no-untyped-call]
            except (google.auth.exceptions.RefreshError,
                    google.auth.exceptions.TransportError, OSError) as exc:
                raise refresh_failure(exc) from None
            _register(self)

    return _Credentials


def save_credentials(creds: Credentials, token_file: Path) -> None:
    text: str = creds.to_json()  # type: ignore[no-untyped-call]
    write_private(token_file, text.encode("utf-8"))


def refresh(creds: Credentials, http: Any, token_file: Path | None = None) -> None:
    """Get a fresh access token; an expired or revoked refresh token needs a person."""
    import google.auth.exceptions
    from google_auth_httplib2 import Request

    try:
        creds.refresh(Request(http))  # type: ignore[no-untyped-call]
    except (google.auth.exceptions.RefreshError, google.auth.exceptions.TransportError,
            OSError) as exc:
        raise refresh_failure(exc) from None
    _register(creds)
    if token_file is not None:
        save_credentials(creds, token_file)


def refresh_failure(exc: Exception) -> AuthError | TransientError:
    """A failed token refresh, by kind: invalid_grant (or any refusal Google says not to
    retry) needs a person; anything else is tried again later. google_auth_httplib2 wraps
    httplib2's errors only, so a refused connection arrives as a raw OSError."""
    import google.auth.exceptions

    if isinstance(exc, google.auth.exceptions.RefreshError):
        if "invalid_grant" in str(exc) or not getattr(exc, "retryable", False):
            return AuthError("the YouTube authorisation has expired or was revoked: "
                             + REAUTH_HINT, platform="youtube", reason="invalid_grant")
        return TransientError(f"the Google token endpoint failed: {_short(exc)}",
                              platform="youtube")
    return TransientError(f"cannot reach the Google token endpoint: {_short(exc)}",
                          platform="youtube")


def _short(exc: Exception) -> str:
    from publisher.redact import scrub

    return scrub(str(exc.args[0] if exc.args else exc))[:200]


def run_installed_flow(client_secrets_file: Path, endpoints: Endpoints, *, port: int,
                       open_browser: bool) -> Credentials:
    """google-auth-oauthlib's loopback flow with the least scope that covers our calls."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    try:
        flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets_file), list(SCOPES))
    except FileNotFoundError:
        raise AuthError(f"the OAuth client file {client_secrets_file} does not exist: create "
                        "a \"Desktop app\" OAuth client in Google Cloud Console and save its "
                        "JSON there", platform="youtube") from None
    except ValueError as exc:
        raise AuthError(f"{client_secrets_file} is not an OAuth client file: {exc}",
                        platform="youtube") from None
    flow.client_config["token_uri"] = endpoints.token_uri
    creds = flow.run_local_server(
        port=port, open_browser=open_browser, prompt="consent",
        authorization_prompt_message="Open this address in a browser to authorise "
                                     "publisher for YouTube:\n{url}\n",
        success_message="publisher is authorised; you can close this tab.")
    from google.oauth2.credentials import Credentials

    assert isinstance(creds, Credentials)
    return creds


def _web_flow(client_secrets_file: Path, endpoints: Endpoints, redirect_uri: str,
              **kwargs: Any) -> Any:
    """google-auth-oauthlib's Flow for a consent that comes back to `redirect_uri` (the
    console's), with the configured token endpoint."""
    from google_auth_oauthlib.flow import Flow

    try:
        flow = Flow.from_client_secrets_file(str(client_secrets_file), list(SCOPES),
                                             redirect_uri=redirect_uri, **kwargs)
    except FileNotFoundError:
        raise AuthError(f"the OAuth client file {client_secrets_file} does not exist",
                        platform="youtube") from None
    except ValueError as exc:
        raise AuthError(f"{client_secrets_file} is not an OAuth client file: {exc}",
                        platform="youtube") from None
    flow.client_config["token_uri"] = endpoints.token_uri
    return flow


def consent_address(client_secrets_file: Path, endpoints: Endpoints,
                    redirect_uri: str) -> tuple[str, str, str]:
    """Google's consent page for the least scope that covers our calls, asking for a
    refresh token, with a fresh `state` and a PKCE (S256) verifier: (address, state,
    verifier). The verifier stays with the caller; only its challenge is in the address."""
    flow = _web_flow(client_secrets_file, endpoints, redirect_uri,
                     autogenerate_code_verifier=True)
    url, state = flow.authorization_url(access_type="offline", prompt="consent")
    return str(url), str(state), str(flow.code_verifier)


def exchange_code(client_secrets_file: Path, endpoints: Endpoints, redirect_uri: str, *,
                  code: str, verifier: str) -> Credentials:
    """The consent's code exchanged at the token endpoint for credentials (the caller has
    checked the redirect's state against the one it kept)."""
    import logging

    # requests-oauthlib logs the request's headers and body at DEBUG: the client's secret
    # (in Basic auth) and the verifier. Never: whatever level the root logger is at.
    logging.getLogger("requests_oauthlib").setLevel(logging.INFO)
    flow = _web_flow(client_secrets_file, endpoints, redirect_uri, code_verifier=verifier,
                     autogenerate_code_verifier=False)
    try:
        flow.fetch_token(code=code)
    except Exception as exc:
        raise consent_failure(exc, endpoints) from None
    creds = flow.credentials
    from google.oauth2.credentials import Credentials

    assert isinstance(creds, Credentials)
    _register(creds)
    return creds


def consent_failure(exc: Exception, endpoints: Endpoints) -> Exception:
    """An authorisation flow's failure in our error kinds (the CLI's and the console's)."""
    from oauthlib.oauth2.rfc6749.errors import (  # type: ignore[import-untyped]
        InsecureTransportError,
        OAuth2Error,
    )
    from requests.exceptions import RequestException

    if isinstance(exc, InsecureTransportError):
        return AuthError(f"the token endpoint {endpoints.token_uri} is not https, which "
                         "the authorisation flow refuses (for a local test server only, "
                         "set OAUTHLIB_INSECURE_TRANSPORT=1)", platform="youtube")
    if isinstance(exc, OAuth2Error):
        what = exc.error + (f": {exc.description}" if exc.description else "")
        return AuthError(f"Google did not authorise publisher ({what}): authorise again "
                         "and accept on the consent page", platform="youtube",
                         reason=exc.error)
    if isinstance(exc, RequestException):
        return TransientError(f"cannot reach the token endpoint {endpoints.token_uri}: "
                              f"{type(exc).__name__}", platform="youtube")
    return exc


NO_REFRESH_TOKEN = ("Google sent no refresh token, so the authorisation would not last: "
                    "remove publisher's access at https://myaccount.google.com/permissions, "
                    "then authorise again")


def save_authorisation(creds: Credentials, token_file: Path) -> None:
    """Save a new authorisation as `publisher auth youtube` and the console both do: only
    one that will last (a refresh token), 0600, atomically."""
    if not creds.refresh_token:
        raise AuthError(NO_REFRESH_TOKEN, platform="youtube")
    token_file.parent.mkdir(parents=True, exist_ok=True)
    save_credentials(creds, token_file)
