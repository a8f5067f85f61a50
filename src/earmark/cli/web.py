"""The commands that serve pages in the browser: ``studio``, the whole web studio, and ``share``,
only the try page of some models."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from .options import model_hint
from .runtime import EngineCommand

__all__ = ["share", "studio"]


@click.command(cls=EngineCommand)
@click.argument("project_dir", required=False, type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep it local).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port; 0 picks a free one.  [default: 0]")
@click.option("--no-browser", is_flag=True, help="Do not open the browser.")
def studio(project_dir: Path | None, host: str, port: int, no_browser: bool) -> None:
    """Start the web studio: record, upload, train, inspect and try a classifier in the browser.

    PROJECT_DIR is opened (and created when missing); without it, projects live in
    $EARMARK_HOME or ~/earmark-projects, and a first start makes a ready demo project.
    """
    from ..studio.app import check_install
    from ..studio.serve import listen, local_url, prepare, projects_root_of, serve, serving

    check_install()  # a broken install says so first: no port or project can mend it
    with listen(host, port) as sock:  # a port in use says so before the demo project (or any project) is made
        # so does another studio serving the projects folder (two would each know only their own uploads)
        with serving(projects_root_of(project_dir), url=local_url(host, int(sock.getsockname()[1]))):
            serve(prepare(project_dir, echo=click.echo), host=host, sock=sock, open_browser=not no_browser,
                  echo=click.echo)


@click.command(cls=EngineCommand)
@click.argument("models", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 lets others on your network open the page.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port; 0 picks a free one.  [default: 0]")
@click.option("--no-browser", is_flag=True, help="Do not open the browser.")
def share(models: tuple[Path, ...], host: str, port: int, no_browser: bool) -> None:
    """Serve only the try page of MODELS (microphone or a file), for others to use.

    Nothing of a project is served: just the page, the models' labels and their predictions.
    Prints one link per model, naming its file and classes (a file given twice is shared once).
    """
    from ..studio.serve import on_stop_signals, prepare_share, serve
    from ..studio.state import HeldFolder

    # the copies of the models go whichever way it ends: Ctrl+C, SIGTERM or SIGHUP (the server stops as for
    # Ctrl+C) or an error; their folder is held while it runs, so a share killed outright (SIGKILL) leaves
    # it to the next studio or share to remove. SIGTERM or SIGHUP before the server runs (while the models
    # are checked) stops it as they do later: cleanly, status 0
    with contextlib.suppress(_Stopped), on_stop_signals(_stop), HeldFolder("earmark-share-") as folder:
        with model_hint("every argument of earmark share is a model; to try a recording, share the model alone "
                        "and open the link it prints"):
            settings, links = prepare_share(list(models), folder=folder, echo=click.echo)
        serve(settings, host=host, port=port, open_browser=not no_browser, echo=click.echo, share_tokens=links)


class _Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP while share starts: raised as Ctrl+C is (what runs then lets it through, and the
    ``with`` blocks clean up), and then not reported: a stop asked for, not an interruption."""


def _stop() -> None:
    raise _Stopped
