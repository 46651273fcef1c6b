"""The interview state machine: staging on YouTube, release, cross-posting; run_due(now)."""
