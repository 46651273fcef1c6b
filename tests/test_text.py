"""Hashtags, YouTube's counting rules and templates, as pure functions."""

from __future__ import annotations

import pytest

from publisher.platforms.youtube.limits import check_description, tags_length, title_length
from publisher.text.hashtags import HashtagError, combine, find_in_text, normalize
from publisher.text.templates import TemplateError, render


@pytest.mark.parametrize(("raw", "expected"), [
    ("Marmo", "#Marmo"), ("#Marmo", "#Marmo"), ("##Marmo", "#Marmo"), ("  #Città ", "#Città"),
    ("#CarraraUnescoCreativeCity", "#CarraraUnescoCreativeCity"), ("#arte_2026", "#arte_2026"),
    ("#Пикассо", "#Пикассо"), ("#陶芸", "#陶芸"),
])
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize("raw", ["", "#", "two words", "#marmo!", "#2026", "#a-b"])
def test_normalize_refuses(raw: str) -> None:
    with pytest.raises(HashtagError):
        normalize(raw)


def test_combine_keeps_order_and_folds_case_insensitive_duplicates() -> None:
    got = combine(["#StudiAperti", "#Carrara"], ["carrara", "#Marmo", "#MARMO"])
    assert got.tags == ("#StudiAperti", "#Carrara", "#Marmo")
    assert got.folded == ("carrara", "#MARMO")


def test_find_in_text_ignores_numbers_and_link_fragments() -> None:
    text = "Episodio #1 con #Marmo: https://example.org/#contatti #Città"
    assert find_in_text(text) == ["#Marmo", "#Città"]


def test_youtube_counting() -> None:
    assert title_length("é" * 100) == 100
    assert title_length("😀" * 50) == 100  # two UTF-16 units each
    assert tags_length(["Foo-Baz"]) == 7 and tags_length(["Foo Baz"]) == 9
    assert tags_length(["a", "b c"]) == 1 + 5 + 1
    assert check_description("à" * 2500) == []
    assert "5002 bytes" in check_description("à" * 2501)[0]


def test_template_names_the_missing_variable_and_template() -> None:
    with pytest.raises(TemplateError, match=r"template t: 'campaign.sponsor' is undefined"):
        render("{{ campaign.sponsor }}", "t", {"campaign": {"name": "x"}})
    with pytest.raises(TemplateError, match="'sponsor' is undefined"):
        render("{{ sponsor }}", "t", {})


def test_template_sandbox_blocks_python_internals() -> None:
    with pytest.raises(TemplateError):
        render("{{ title.__class__.__mro__[1].__subclasses__() }}", "t", {"title": "x"})
