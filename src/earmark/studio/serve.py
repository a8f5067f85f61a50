"""Starting the studio for a person: pick the project folder, a free port, open the browser."""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import itertools
import json
import os
import shlex
import shutil
import signal
import socket
import sys
import threading
import webbrowser
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..atomic import cannot_write
from ..audio import AUDIO_EXTENSIONS
from ..errors import ConflictError, DependencyError, ParameterError
from ..holding import CAN_LOCK, claim, let_go
from ..project import PROJECT_FILE, Project, is_project_folder
from .settings import StudioSettings
from .state import Studio, fill_with_demo

__all__ = ["STUDIO_FILE", "default_projects_root", "link_hosts", "local_addresses", "local_url", "on_stop_signals",
           "prepare", "prepare_share", "projects_root_of", "serve", "serving"]

DEMO_PROJECT = "demo"
#: The file in a projects folder that the studio serving it keeps locked, with its process id and address:
#: a second studio on that folder refuses to start (its "upload going on" and the like know their own process
#: only). A studio that ends removes it; one killed leaves it unlocked, and the next start takes it.
STUDIO_FILE = ".earmark-studio"
#: The projects folders this process serves (:func:`serving`): the command holds it, then :func:`serve`.
_SERVED: set[Path] = set()


def default_projects_root() -> Path:
    """``$EARMARK_HOME``, else ``~/earmark-projects``."""
    return Path(os.environ.get("EARMARK_HOME") or Path.home() / "earmark-projects")


def prepare(project_dir: Path | None, *, echo: Callable[[str], None] = print) -> StudioSettings:
    """Settings for ``earmark studio [PROJECT_DIR]``; makes the project (or the demo project) if missing.

    With a folder, the studio opens it (creating an empty project there when it does not exist,
    or adopting a folder that holds ``samples/<class>/``) and lists the earmark projects beside
    it (folders with an ``earmark-project.json``; nothing else there is touched). Without one, it
    uses the default projects folder and, when that holds no project yet, fills a ready ``demo``
    project with the built-in bass / drums / background set. A broken install (the studio's page
    missing) is an :class:`~earmark.errors.InstallError` before anything is made.
    """
    from .app import check_install

    check_install()
    if project_dir is not None:
        folder = project_dir.expanduser().resolve()
        if folder.exists() and not folder.is_dir():
            raise ParameterError(f"{folder} is a file; give a folder for the project")
        with _writing(folder, what=f"the project folder {folder}", fix="give a folder you can write to"):
            if is_project_folder(folder) and not (folder / PROJECT_FILE).exists():
                Project.adopt(folder)
                echo(f"opened {folder} as an earmark project (wrote {PROJECT_FILE})")
            elif not (folder / PROJECT_FILE).exists():
                if folder.is_dir():
                    _check_not_other_data(folder)
                Project.create(folder)
                echo(f"created a new project in {folder}")
        return StudioSettings(projects_root=folder.parent, project=folder.name)
    root = default_projects_root()
    named = "$EARMARK_HOME" if os.environ.get("EARMARK_HOME") else "the default projects folder"
    fix = "set EARMARK_HOME to a folder you can write to, or open a project folder: earmark studio FOLDER"
    if root.exists() and not root.is_dir():
        raise ParameterError(f"{named} ({root}) is a file; {fix}")
    with _writing(root, what=f"the projects folder {root} ({named})", fix=fix):
        root.mkdir(parents=True, exist_ok=True)
        has_projects = any((p / PROJECT_FILE).exists() for p in root.iterdir() if p.is_dir())
    if not has_projects:
        with _writing(root / DEMO_PROJECT, what=f"the demo project {root / DEMO_PROJECT}", fix=fix):
            project = Project.create(root / DEMO_PROJECT, name=DEMO_PROJECT)
            fill_with_demo(project)
        echo(f"created the demo project (bass / drums / background) in {project.root}")
    return StudioSettings(projects_root=root, project=None if has_projects else DEMO_PROJECT)


def projects_root_of(project_dir: Path | None) -> Path:
    """The projects folder ``earmark studio [PROJECT_DIR]`` serves (:func:`prepare` says so the same way)."""
    return default_projects_root() if project_dir is None else project_dir.expanduser().resolve().parent


@contextlib.contextmanager
def serving(root: Path, *, url: str) -> Iterator[None]:
    """Hold the projects folder ``root`` (:data:`STUDIO_FILE`) while the block runs, as the studio at ``url``
    serving it. A :class:`ConflictError` when another studio, alive, serves it. A folder that is not there
    yet, or cannot be written to, is not held (:func:`prepare` makes it, or says what is wrong)."""
    folder = root.expanduser().resolve()
    if not CAN_LOCK or folder in _SERVED or not folder.is_dir():
        yield
        return
    note = {"pid": os.getpid(), "url": url}
    try:
        fd = claim(folder / STUDIO_FILE, json.dumps(note).encode())
    except OSError:
        fd = -1
    if fd is None:
        raise _served_already(folder)
    if fd >= 0:
        _SERVED.add(folder)
    try:
        yield
    finally:
        if fd >= 0:
            _SERVED.discard(folder)
            let_go(folder / STUDIO_FILE, fd)


def _served_already(folder: Path) -> ConflictError:
    """The refusal to start a second studio on ``folder``, naming the one that serves it (as its file says)."""
    try:
        note = json.loads((folder / STUDIO_FILE).read_text(encoding="utf-8"))
        who = f" (pid {int(note['pid'])}, at {note['url']})"
    except (OSError, ValueError, TypeError, KeyError):  # being written this moment
        who = ""
    return ConflictError(f"another earmark studio{who} is serving {folder}; open that one, or stop it first")


@contextlib.contextmanager
def _writing(folder: Path, *, what: str, fix: str) -> Iterator[None]:
    """Around making (or filling) ``folder`` (``what``, in words): for an :class:`OSError`, an
    :class:`~earmark.errors.OutputError` that says why it cannot be made and ``fix``; ``folder`` removed again if this
    made it and it ends unfinished (a half-made demo project would be taken for one at the next start)."""
    made = not folder.exists()
    try:
        yield
    except BaseException as exc:
        if made:
            shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, OSError):
            raise cannot_write(folder, exc, doing=f"create {what}", fix=fix) from None
        raise


def _check_not_other_data(folder: Path) -> None:
    """A :class:`ParameterError` that says what to do when ``folder`` (not a project) holds
    projects, is part of one, or holds audio: the studio makes a project only where none of that is."""
    projects = sorted(p.name for p in folder.iterdir() if (p / PROJECT_FILE).is_file())
    if projects:
        raise ParameterError(f"{folder} holds earmark projects ({', '.join(projects[:3])}); open one: "
                             f"earmark studio {shlex.quote(str(folder / projects[0]))}")
    if is_project_folder(folder.parent):
        raise ParameterError(f"{folder} is part of the project {folder.parent}; open the project: "
                             f"earmark studio {shlex.quote(str(folder.parent))}")
    near = itertools.chain.from_iterable(folder.glob(depth) for depth in ("*", "*/*", "*/*/*"))  # not all of ~
    if next((p for p in near if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file()), None):
        raise ParameterError(
            f"{folder} holds audio but is not an earmark project (a folder per class?), and the studio leaves "
            "it as it is: zip it and use Import zip in the studio (earmark studio), or train on it as it is: "
            f"earmark train {shlex.quote(str(folder))} --out model.earmark")


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` (``port`` 0: any free one), for the server to serve on;
    bound before anything is printed, so that a port in use is one clear error, not a server that dies.

    Raises
    ------
    ConflictError
        If the port is in use.
    ParameterError
        If ``host`` cannot be listened on (not this computer's address, a port below 1024, …).
    """
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    if sys.platform == "win32":  # there SO_REUSEADDR would let two servers share the port
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)  # type: ignore[attr-defined,unused-ignore]
    else:  # as uvicorn: a port left in TIME_WAIT is free
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if host == "::":  # every address, IPv4 ones too (Windows listens on IPv6 only unless told)
        with contextlib.suppress(OSError, AttributeError):
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    try:
        sock.bind((host, port))
        sock.listen(2048)  # listening now: a second studio started at the same moment cannot bind it too
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConflictError(f"port {port} is in use (another earmark studio?); pick another with --port, "
                                "or --port 0 for any free port") from None
        raise ParameterError(f"cannot listen on {host} port {port}: {exc.strerror or exc}; pick another --host "
                             "or --port (127.0.0.1 and --port 0 always work)") from None
    sock.set_inheritable(True)
    return sock


def prepare_share(model_files: list[Path], *, folder: Path,
                  echo: Callable[[str], None] = print) -> tuple[StudioSettings, dict[str, str]]:
    """Settings for ``earmark share``: the model files (checked) copied into a project in ``folder``;
    also the share tokens, in the order of ``model_files``, each with what its link is for (the file as
    given, and its classes). A file given twice is shared once, and ``echo`` says so."""
    if not model_files:
        raise ParameterError("name at least one model file to share")
    project = Project.create(folder / "shared", name="shared")
    links: dict[str, str] = {}
    seen: dict[object, Path] = {}
    for path in model_files:
        first = seen.setdefault(_file_key(path), path)
        if first is not path:
            twice = "given twice" if str(path) == str(first) else f"the same file as {first}"
            echo(f"earmark share: {path} is {twice}; it is shared once")
            continue
        info = project.import_model(path, name=path.name, stamp=False)
        links[info.token] = f"{path}: {_brief_labels(info.labels)}"
    return StudioSettings(projects_root=folder, project="shared"), links


def _file_key(path: Path) -> object:
    """The same for every name of one file (``m.earmark``, ``./m.earmark``, a link to it)."""
    try:
        stat = path.stat()
    except OSError:  # import_model says what is wrong with it
        return path.resolve()
    return stat.st_dev, stat.st_ino


def _brief_labels(labels: list[str], *, max_chars: int = 40) -> str:
    """A model's classes for its link line: all of them if they fit in ``max_chars``, else the first few."""
    shown = ", ".join(labels)
    if len(shown) <= max_chars:
        return shown
    kept: list[str] = []
    for label in labels:
        if len(", ".join([*kept, label])) > max_chars:
            break
        kept.append(label)
    return f"{', '.join(kept)}, … ({len(labels)} classes)" if kept else f"{len(labels)} classes"


def serve(settings: StudioSettings, *, host: str = "127.0.0.1", port: int = 0, open_browser: bool = True,
          echo: Callable[[str], None] = print, share_tokens: Mapping[str, str] | Sequence[str] | None = None,
          sock: socket.socket | None = None) -> None:
    """Run the studio (or, with ``share_tokens``, only the try pages of those models) until interrupted.

    ``share_tokens``: the tokens of the models to share, or (as :func:`prepare_share` gives them) each
    token with what its link is for, which its printed link names.

    ``sock``: a socket :func:`listen` bound already on ``host`` (``port`` is then its port), so that a
    port in use is found before anything is made; the server closes it. A training run going on when
    the server stops is cancelled, and waited for, before it returns; it says so.
    """
    try:
        import uvicorn
    except ImportError as exc:
        raise DependencyError("the studio needs its web server: pip install 'earmark[studio]'") from exc
    from .app import check_install, create_app

    check_install(share_only=share_tokens is not None)  # refuse to start, rather than serve a 500 for the page
    if host in _EVERY_ADDRESS:
        settings = settings.model_copy(update={"allowed_hosts": ["*"]})
    elif host not in settings.allowed_hosts:
        settings = settings.model_copy(update={"allowed_hosts": [*settings.allowed_hosts, host]})
    server: uvicorn.Server | None = None
    stopping = threading.Event()

    def stop() -> None:  # as uvicorn does for Ctrl+C: shut down (the app's own clean-up runs); a second one hurries
        stopping.set()
        if server is not None:
            server.force_exit = server.should_exit
            server.should_exit = True

    # Ctrl+C stops it, as it says; so do SIGTERM and SIGHUP (uvicorn takes SIGTERM itself while it runs, then
    # raises it again once it has shut down: it then reaches stop(), which lets run() return)
    with contextlib.suppress(KeyboardInterrupt), on_stop_signals(stop):
        app = create_app(settings, share_only=share_tokens is not None)
        try:
            with listen(host, port) if sock is None else sock as bound:
                port = int(bound.getsockname()[1])
                with contextlib.nullcontext() if share_tokens is not None else \
                        serving(settings.projects_root, url=local_url(host, port)):
                    url = _announce(settings, host=host, port=port, echo=echo, share_tokens=share_tokens)
                    if open_browser:
                        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
                    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
                    server.should_exit = stopping.is_set()  # a signal while it started: it starts and stops
                    server.run(sockets=[bound])
        finally:  # as the app's shutdown does, which a second Ctrl+C skips; done already, it does nothing
            _close(app.state.studio, echo=echo)


def local_url(host: str, port: int) -> str:
    """The studio's address for this computer's browser, served on ``host``:``port``."""
    shown = "127.0.0.1" if host in _EVERY_ADDRESS else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def _close(studio: Studio, *, echo: Callable[[str], None]) -> None:
    """Cancel the studio's training run and wait for it (PyTorch left running in a thread as the
    interpreter ends aborts the process), remove its folder, and say which run was cancelled."""
    studio.close()
    for job in studio.jobs.cancelled_at_close:
        echo(f"stopped: the training run of project {job.project!r} was cancelled at epoch {len(job.history)} "
             f"of {job.epochs}; no model was kept")
    studio.jobs.cancelled_at_close.clear()


def _announce(settings: StudioSettings, *, host: str, port: int, echo: Callable[[str], None],
              share_tokens: Mapping[str, str] | Sequence[str] | None) -> str:
    """Print where the server is (for a server on every address: at each of this computer's network
    addresses; one link per shared model); the link for this computer's browser to open."""
    everywhere = host in _EVERY_ADDRESS
    hosts = link_hosts(host, hostname=socket.gethostname(), addresses=local_addresses() if everywhere else ())
    about = share_tokens if isinstance(share_tokens, Mapping) else {}
    paths = [""] if share_tokens is None else [f"try/{token}" for token in share_tokens]
    for path in paths:
        first, *others = (f"http://{shown}:{port}/{path}" for shown in hosts)
        if share_tokens is None:
            echo(f"earmark studio: {first}  (projects in {settings.projects_root}; Ctrl+C to stop)")
        else:
            model = about.get(path.removeprefix("try/"))
            echo(f"earmark share: {first}  ({f'{model}; ' if model else ''}only the try page; Ctrl+C to stop)")
        for other in others:
            echo(f"  also: {other}")
    if share_tokens is None and host not in ("127.0.0.1", "localhost", "::1"):
        echo("warning: the studio is reachable from other machines on this network; it has no login")
    # this computer's browser opens it at 127.0.0.1: a page of this computer may use the microphone
    return f"http://{'127.0.0.1' if everywhere else hosts[0]}:{port}/{paths[0]}"


#: The hosts that listen on every address of this computer.
_EVERY_ADDRESS = ("0.0.0.0", "::")

#: Addresses in each private range: "connecting" a UDP socket to one sends nothing, and its own address
#: is then the one this computer uses on the way there (the home network's, a VPN's).
_PROBES = ((socket.AF_INET, "192.168.254.254"), (socket.AF_INET, "10.254.254.254"),
           (socket.AF_INET, "172.16.254.254"), (socket.AF_INET6, "fd00::1"))


#: How long the host name's addresses are waited for: a name not in /etc/hosts goes to DNS, and with
#: no resolver answering (offline, a dead VPN) that takes as long as the resolver's timeout (10 s or more).
_NAME_LOOKUP_S = 1.0


def local_addresses(*, lookup_s: float = _NAME_LOOKUP_S) -> list[str]:
    """This computer's addresses on its networks: the address each route to a private range leaves
    from (found without sending anything), then those its host name resolves to here, if that answers
    within ``lookup_s`` (else none: the server starts anyway). Loopback and link-local ones may be
    among them (:func:`link_hosts` leaves them out)."""
    found = []
    for family, target in _PROBES:
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((target, 9))
            found.append(str(probe.getsockname()[0]))
    named: list[str] = []

    def resolve() -> None:
        with contextlib.suppress(OSError, UnicodeError):
            named.extend(str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None))

    lookup = threading.Thread(target=resolve, name="earmark-host-name", daemon=True)  # left behind if slow
    lookup.start()
    lookup.join(lookup_s)
    return found + (list(named) if not lookup.is_alive() else [])


def link_hosts(host: str, *, hostname: str, addresses: Iterable[str]) -> list[str]:
    """The host parts of the links to print for a server listening on ``host``: ``host`` itself; for
    one on every address (0.0.0.0, ::), this computer's ``addresses`` that others can reach (IPv4
    first; no loopback or link-local; IPv6 only on ::, as 0.0.0.0 takes no IPv6), then ``hostname``
    if it is fully qualified (``studio.lan``, ``Mac.local``: a bare name such as ``vm`` seldom
    resolves on a bandmate's phone, even where it resolves here); 127.0.0.1 when there is none."""
    if host not in _EVERY_ADDRESS:
        return [f"[{host}]" if ":" in host else host]
    usable: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.split("%")[0])  # fe80::1%eth0: the zone is no part of it
        except ValueError:
            continue
        if (address.version == 6 and host != "::") or address in usable:
            continue
        if not (address.is_loopback or address.is_link_local or address.is_unspecified or address.is_multicast):
            usable.append(address)
    shown = [str(a) if a.version == 4 else f"[{a}]" for a in sorted(usable, key=lambda a: a.version)]
    name = hostname.lower().rstrip(".")
    if "." in name and not name.endswith((".localdomain", ".localhost")) and not _is_address(name):
        shown.append(hostname.rstrip("."))
    return shown or ["127.0.0.1"]


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


#: The signals that end a server as Ctrl+C does: SIGTERM (``kill``, a service manager stopping it) and,
#: where there is one, SIGHUP (its terminal closed).
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def on_stop_signals(stop: Callable[[], None]) -> Iterator[None]:
    """Until the block ends, :data:`STOP_SIGNALS` call ``stop`` (which may raise KeyboardInterrupt, as
    Ctrl+C does, so that the ``with`` blocks around clean up) instead of ending the process at once,
    which would leave temporary files behind. Outside the main thread, which signals never reach, it
    does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: Any) -> None:
        stop()

    previous = {number: signal.signal(number, handle) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
