"""`publisher demo`: a rehearsal on embedded defaults, needing no account and no network."""

from __future__ import annotations

from pathlib import Path

import click

from publisher.cli.app import App


@click.command()
@click.option("--home", "demo_home", metavar="DIR",
              help="Where to build the demo home (default: a new temporary folder).")
@click.pass_obj
def demo(app: App, demo_home: str | None) -> None:
    """Rehearse with the example campaign: init a home, make and queue sample interviews.

    Creates a fresh home with the Studi Aperti campaign, generates short sample videos
    (PyAV), queues them with speakers, hashtags, a thumbnail and captions, and shows the
    queue and exactly what YouTube would receive. Touches no real account.
    """
    import tempfile

    from publisher import queue as q
    from publisher.cli.init_cmd import init
    from publisher.cli.queue_cmds import list_, show
    from publisher.home import Home
    from publisher.samples import SAMPLE_SRT, SAMPLE_VTT, make_png, make_video

    folder = Path(demo_home) if demo_home else Path(tempfile.mkdtemp(prefix="publisher-demo-"))
    home = Home.resolve(folder, None)
    if home.is_initialized():
        raise click.UsageError(f"{folder} is already a publisher home; the demo needs a new "
                               "folder (or omit --home)")
    demo_app = App(home, actor="demo")
    ctx = click.get_current_context()
    ctx.invoke(init, directory=str(folder))
    media = folder / "media"
    media.mkdir()
    interviews = [
        ("Maria Rossi, ceramista: il marmo e la terra", "Maria Rossi", "ceramista",
         "Nel suo studio a Carrara, Maria Rossi racconta il dialogo tra marmo e argilla.",
         ["#Ceramica", "#Marmo"]),
        ("Il museo oltre il lockdown", "Luca Bianchi", "direttore del museo",
         "Come un museo civico ha aperto le sue sale online durante il lockdown.",
         ["#Musei"]),
    ]
    for i, (title, speaker, role, body, tags) in enumerate(interviews, 1):
        video = make_video(media / f"intervista-{i}.mp4", seconds=2, seed=i)
        thumb = make_png(media / f"intervista-{i}.png", color=(180 + 20 * i, 170, 150))
        (media / f"intervista-{i}.it.srt").write_text(SAMPLE_SRT, encoding="utf-8")
        (media / f"intervista-{i}.en.vtt").write_text(SAMPLE_VTT, encoding="utf-8")
        spec = q.InterviewSpec(
            video=video, title=title, speakers=[q.SpeakerSpec(speaker, role)], description=body,
            hashtags=tags, thumbnail=thumb,
            captions={"it": media / f"intervista-{i}.it.srt",
                      "en": media / f"intervista-{i}.en.vtt"},
            recording_place="Carrara")
        prepared = q.prepare(demo_app.queue_context(), spec)
        with demo_app.transaction() as session:
            q.add(session, demo_app.queue_context(), prepared)
    click.echo(f"\nQueued {len(interviews)} sample interviews in {folder}:\n")
    ctx.obj = demo_app
    ctx.invoke(list_, state="active", as_json=False)
    click.echo("")
    ctx.invoke(show, item_id=1, as_json=False)
    demo_app.close()
    click.echo(f"\nTry: publisher --home {folder} queue list")
