"""Mastodon's post options that publisher.toml may set (`[mastodon] visibility`).

Apart from the adapter so that loading the configuration, which validates them, imports no
client library (publisher/platforms/mastodon.py needs Mastodon.py and an HTML parser).
"""

from __future__ import annotations

#: Mastodon's visibilities (Status#visibility), widest first.
VISIBILITIES = ("public", "unlisted", "private", "direct")
#: What publisher asks for when publisher.toml says nothing, whatever the account's default.
DEFAULT_VISIBILITY = "public"
