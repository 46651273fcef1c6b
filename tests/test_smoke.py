"""The basic path on both databases: init, add, list."""

from __future__ import annotations

import json

from tests.conftest import HomeFixture, Media, add_args


def test_add_then_list(home: HomeFixture, media: Media) -> None:
    video = media.video()
    result = home.ok(*add_args(video))
    assert result.stdout.strip() == "1"
    listed = json.loads(home.ok("queue", "list", "--json").stdout)
    assert [(i["id"], i["state"], i["position"]) for i in listed] == [(1, "queued", 1)]
