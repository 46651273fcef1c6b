"""YouTube: limits, and (later) the client, auth and resumable upload."""
