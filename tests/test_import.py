"""`queue import`: a whole season from CSV or YAML, all or nothing."""

from __future__ import annotations

import json

from tests.conftest import HomeFixture, Media


def test_import_csv_season(home: HomeFixture, media: Media) -> None:
    for i in (1, 2, 3):
        media.video(f"ep{i}.mp4")
    media.srt("ep1.it.srt")
    media.png("ep1.png")
    csv_file = media.file("season.csv", (
        "video,title,speakers,hashtags,captions,thumbnail,not_before,description\n"
        "ep1.mp4,Maria Rossi: il marmo,Maria Rossi (ceramista),#Marmo #Ceramica,"
        "it=ep1.it.srt,ep1.png,2026-12-01,\"Nel suo studio, tra marmo e argilla.\"\n"
        "ep2.mp4,Il museo aperto,Luca Bianchi (direttore del museo); Ada Neri,,,,,\n"
        "ep3.mp4,Le cave,Pietro Verdi,Cave,,,,\n"))
    result = home.ok("queue", "import", csv_file, "--json")
    items = json.loads(result.stdout)
    assert [i["title"] for i in items] == ["Maria Rossi: il marmo", "Il museo aperto", "Le cave"]
    assert items[0]["hashtags"] == ["#Marmo", "#Ceramica"]
    assert items[0]["captions"]["it"].endswith("ep1.it.srt")
    assert items[0]["description"] == "Nel suo studio, tra marmo e argilla."
    assert [(s["name"], s["role"]) for s in items[1]["speakers"]] == [
        ("Luca Bianchi", "direttore del museo"), ("Ada Neri", None)]
    assert [i["position"] for i in items] == [1, 2, 3]


def test_import_yaml_season_with_localizations(home: HomeFixture, media: Media) -> None:
    media.video("a.mp4")
    media.vtt("a.en.vtt")
    yaml_file = media.file("season.yaml", """
interviews:
  - video: a.mp4
    title: "Studi aperti: la bottega"
    speakers:
      - name: Maria Rossi
        role: ceramista
        links: [https://mariarossi.example]
    hashtags: [Bottega]
    captions: {en: a.en.vtt}
    localizations:
      en: {title: "Open studios: the workshop", description: "In her studio."}
    made_for_kids: false
""")
    items = json.loads(home.ok("queue", "import", yaml_file, "--json").stdout)
    assert items[0]["localizations"]["en"]["title"] == "Open studios: the workshop"
    assert items[0]["speakers"][0]["links"] == ["https://mariarossi.example"]
    assert items[0]["made_for_kids"] is False


def test_one_bad_row_refuses_the_whole_file(home: HomeFixture, media: Media) -> None:
    media.video("ok.mp4")
    media.video("also-ok.mp4")
    csv_file = media.file("season.csv", (
        "video,title,speakers\n"
        "ok.mp4,Uno,Maria Rossi\n"
        "missing.mp4,Due,Luca Bianchi\n"
        "also-ok.mp4,,Ada Neri\n"))
    before = home.snapshot()
    result = home.run("queue", "import", csv_file)
    assert result.exit_code == 2
    assert "row 3: video: video file not found" in result.stderr
    assert "row 4: title: missing" in result.stderr
    assert home.snapshot() == before


def test_the_same_video_twice_in_one_file_is_refused(sqlite_home: HomeFixture,
                                                      media: Media) -> None:
    media.video("same.mp4")
    csv_file = media.file("season.csv", "video,title,speakers\nsame.mp4,Uno,A\nsame.mp4,Due,B\n")
    before = sqlite_home.snapshot()
    result = sqlite_home.run("queue", "import", csv_file)
    assert result.exit_code == 2 and "row 3" in result.stderr and "row 2" in result.stderr
    assert sqlite_home.snapshot() == before


def test_rows_are_numbered_as_a_spreadsheet_shows_them(sqlite_home: HomeFixture,
                                                        media: Media) -> None:
    media.video("a.mp4")
    csv_file = media.file("season.csv", (
        'video,title,speakers,description\n'
        'a.mp4,Uno,Maria Rossi,"Una descrizione\nsu due righe"\n'
        'missing.mp4,Due,Luca Bianchi,\n'))
    result = sqlite_home.run("queue", "import", csv_file)
    assert result.exit_code == 2
    assert "row 3: video: video file not found" in result.stderr


def test_a_csv_hashtag_with_a_space_is_refused_not_split(sqlite_home: HomeFixture,
                                                         media: Media) -> None:
    media.video("ep1.mp4")
    media.video("ep2.mp4")
    csv_file = media.file("season.csv", (
        "video,title,speakers,hashtags\n"
        "ep1.mp4,Maria Rossi,Maria Rossi,#Arte Contemporanea\n"
        "ep2.mp4,Luca Bianchi,Luca Bianchi,\"Marmo, Ceramica\"\n"))
    before = sqlite_home.snapshot()
    result = sqlite_home.run("queue", "import", csv_file)
    assert result.exit_code == 2, result.output
    assert ("row 2: column hashtags: hashtag '#Arte Contemporanea' contains a space (write it "
            "as one word, e.g. #ArteContemporanea;") in result.stderr, result.stderr
    assert "row 3" not in result.stderr  # commas separate hashtags
    assert sqlite_home.snapshot() == before
