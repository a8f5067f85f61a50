"""The studio in two more browser engines: Firefox (Gecko) and WebKit, with PulseAudio as their sound.

Playwright drives only its own patched Firefox and WebKit, which cannot be downloaded here, and
Debian has no geckodriver. But Debian's firefox-esr speaks the W3C WebDriver BiDi protocol itself
(``--remote-debugging-port``), and Debian's WebKitGTK comes with its own WebDriver server
(``WebKitWebDriver``, from webkit2gtk-driver, driving WebKit's MiniBrowser: Safari's engine, on an
Xvfb display). So this module holds two small clients, one per protocol, behind one page
interface (:class:`EnginePage`): navigate, run script, wait, click like a user and hand files to
an ``<input type=file>``.

Neither browser can play a WAV as the microphone, as Chromium can, and with no sound card their
audio never runs. :class:`PulseMic` gives them a sound system: a private PulseAudio server whose
null sinks are the speakers and the microphone. A WAV played into the microphone sink comes out
of a source remapped from its monitor (WebKit lists no monitor sources as inputs), which is the
default input, so the page hears the file through a real input device.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

FIREFOX = Path("/usr/bin/firefox-esr")
WEBKIT_DRIVER = Path("/usr/bin/WebKitWebDriver")
MINIBROWSER = next(iter(sorted(Path("/usr/lib").glob("*/webkit2gtk-4.1/MiniBrowser"))),
                   Path("/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"))
XVFB = shutil.which("Xvfb")
PULSEAUDIO = shutil.which("pulseaudio")
PAPLAY = shutil.which("paplay")

#: Profile preferences: no microphone prompt, sound may start without a click, and quiet start-up.
PREFERENCES = {
    "media.navigator.permission.disabled": True,
    "media.autoplay.default": 0,
    "media.autoplay.blocking_policy": 0,
    "browser.shell.checkDefaultBrowser": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "app.update.disabledForTesting": True,
}


class BrowserError(AssertionError):
    """The browser refused a command, or a condition did not come true in time."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PulseMic:
    """A private PulseAudio server with a microphone that plays a WAV file, over and over."""

    def __init__(self, runtime_dir: Path, rate: int) -> None:
        self.runtime_dir = runtime_dir
        self.rate = rate
        self.server = f"unix:{runtime_dir / 'pulse' / 'native'}"
        self._player: threading.Thread | None = None
        self._stop = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._playing = threading.Lock()  # a player is started or stopped whole
        self.daemon: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        """The environment a program needs to use this sound server, with folders of its own for the browsers'
        caches, data and settings: two test processes side by side (pytest-xdist) each start a WebKitGTK and a
        Firefox, which must not share (and lock) one user's WebKit caches and storage."""
        private = {f"XDG_{kind.upper()}_HOME": str(self.runtime_dir / kind) for kind in ("cache", "config", "data")}
        return {**os.environ, **private, "XDG_RUNTIME_DIR": str(self.runtime_dir), "PULSE_SERVER": self.server}

    def start(self) -> None:
        assert PULSEAUDIO and PAPLAY
        self.runtime_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        sink = f"module-null-sink rate={self.rate} channels=2"
        # in the foreground of its own session: close() stops it, whatever the tests did
        self.daemon = subprocess.Popen(
            [PULSEAUDIO, "--daemonize=no", "-n", "--exit-idle-time=-1",
             "--log-target=file:" + str(self.runtime_dir / "pulseaudio.log"),
             "--load=module-native-protocol-unix",
             f"--load={sink} sink_name=speakers sink_properties=device.description=speakers",
             f"--load={sink} sink_name=mic sink_properties=device.description=mic-feed",
             # mono, as most microphones are: from a stereo source WebKitGTK's mono capture at
             # times began as the mix of two channels out of step (a 0.29 RMS sawtooth read 0.17)
             "--load=module-remap-source source_name=earmark_mic master=mic.monitor channels=1 "
             "channel_map=mono source_properties=device.description=earmark-test-mic",
             "--load=module-always-sink"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode != 0:
            if self.daemon.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"PulseAudio did not start; see {self.runtime_dir / 'pulseaudio.log'}")
            time.sleep(0.1)
        subprocess.run(["pactl", "set-default-sink", "speakers"], env=self.env, check=True)
        subprocess.run(["pactl", "set-default-source", "earmark_mic"], env=self.env, check=True)

    def play(self, wav: Path) -> None:
        """From now on the microphone hears `wav`, looped (as a room goes on sounding)."""
        self.silence()
        self._stop = stop = threading.Event()

        def loop() -> None:
            while True:
                with self._playing:  # silence() cannot slip between the check and the start
                    if stop.is_set():
                        return
                    process = self._process = subprocess.Popen([PAPLAY or "paplay", "--device=mic", str(wav)],
                                                               env=self.env)
                process.wait()

        self._player = threading.Thread(target=loop, name="pulse-mic", daemon=True)
        self._player.start()
        time.sleep(0.2)

    def silence(self) -> None:
        with self._playing:
            self._stop.set()
            if self._process is not None:
                self._process.terminate()
                self._process.wait(timeout=5)
        if self._player is not None:
            self._player.join(timeout=5)
            if self._player.is_alive():
                raise RuntimeError("the microphone's player did not stop")
        self._player = self._process = None

    def close(self) -> None:
        self.silence()
        if self.daemon is not None:
            self.daemon.terminate()
            _stop(self.daemon)


class EnginePage(ABC):
    """A page in some browser: what the tests need of one, the same for every engine."""

    engine: str

    @abstractmethod
    def goto(self, url: str) -> None: ...

    @abstractmethod
    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (promises are awaited); a thrown error fails the test."""

    @abstractmethod
    def click(self, selector: str) -> None:
        """A real click (trusted pointer events at the element's centre), as user gestures need."""

    @abstractmethod
    def set_files(self, selector: str, paths: list[Path]) -> None: ...

    @abstractmethod
    def errors(self) -> list[str]:
        """Uncaught JavaScript errors this page has raised so far."""

    def wait_for(self, expression: str, timeout: float = 15.0) -> Any:
        """Evaluate `expression` until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"{self.engine}: after {timeout} s, still false: {expression} (last: {value!r})")
            time.sleep(0.1)

    def text(self, selector: str) -> str:
        return str(self.evaluate(f"document.querySelector({json.dumps(selector)})?.textContent ?? ''"))

    def fill(self, selector: str, value: str) -> None:
        self.evaluate(f"(e => {{ e.value = {json.dumps(value)}; "
                      "e.dispatchEvent(new Event('input', {bubbles: true})); "
                      "e.dispatchEvent(new Event('change', {bubbles: true})); })"
                      f"(document.querySelector({json.dumps(selector)}))")

    def select(self, selector: str, value: str) -> None:
        """Choose ``value`` in a ``<select>``: set, then the input and change events a user's pick fires."""
        self.fill(selector, value)


# -- Firefox over WebDriver BiDi ------------------------------------------------------------------

class Firefox:
    """One headless Firefox, driven over WebDriver BiDi. Use :meth:`page` for a fresh tab."""

    def __init__(self, env: dict[str, str]) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="earmark-firefox-"))
        (self.profile / "user.js").write_text(
            "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in PREFERENCES.items()))
        port = _free_port()
        self.process = subprocess.Popen(
            [str(FIREFOX), "--headless", "--no-remote", "--profile", str(self.profile),
             f"--remote-debugging-port={port}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self._connection = ExitStack()
        try:
            self._wait_until_listening()
            self.ws: ClientConnection = self._connection.enter_context(
                connect(f"ws://127.0.0.1:{port}/session", max_size=None))
            self._next_id = 0
            self.events: list[dict[str, Any]] = []
            self.version = self.command("session.new", capabilities={})["capabilities"]["browserVersion"]
            self.command("session.subscribe", events=["log.entryAdded"])
        except BaseException:
            self.process.kill()
            self.close()
            raise

    def _wait_until_listening(self, timeout: float = 60) -> None:
        """Firefox says on stderr where it listens once it is ready; the rest of stderr is drained."""
        ready = threading.Event()

        def read(stream: Any) -> None:
            for line in stream:
                if "WebDriver BiDi listening" in line:
                    ready.set()

        threading.Thread(target=read, args=(self.process.stderr,), name="firefox-stderr", daemon=True).start()
        deadline = time.monotonic() + timeout
        while not ready.wait(0.1):
            if self.process.poll() is not None:
                raise RuntimeError(f"Firefox exited with code {self.process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("Firefox did not open its WebDriver BiDi port")

    def command(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        self.ws.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=120))
            if message.get("type") == "event":
                self.events.append(message)
            elif message.get("id") == self._next_id:
                if message.get("type") == "error":
                    raise BrowserError(f"{method}: {message.get('error')}: {message.get('message')}")
                return dict(message["result"])

    @contextmanager
    def page(self) -> Iterator[FirefoxTab]:
        """A new tab in its own user context (no cookies or storage from other tests)."""
        user_context = self.command("browser.createUserContext")["userContext"]
        context = self.command("browsingContext.create", type="tab", userContext=user_context)["context"]
        try:
            yield FirefoxTab(self, context)
        finally:
            self.command("browser.removeUserContext", userContext=user_context)

    def close(self) -> None:
        try:
            self.command("browser.close")
        except Exception:  # noqa: BLE001 - the socket closes as the browser goes (or never opened)
            self.process.terminate()
        _stop(self.process)
        self._connection.close()
        shutil.rmtree(self.profile, ignore_errors=True)


def _stop(process: subprocess.Popen[Any]) -> None:
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _value(remote: dict[str, Any]) -> Any:
    """A BiDi RemoteValue as Python (primitives, arrays, plain objects; a node as its reference)."""
    kind = remote["type"]
    if kind in ("undefined", "null"):
        return None
    if kind in ("string", "boolean"):
        return remote["value"]
    if kind == "number":
        value = remote["value"]
        return float(value) if isinstance(value, str) else value  # "NaN", "Infinity", "-0"
    if kind == "array":
        return [_value(item) for item in remote.get("value", [])]
    if kind == "object":
        return {key: _value(item) for key, item in remote.get("value", [])}
    if kind == "node":
        return {"sharedId": remote["sharedId"]}
    return remote


class FirefoxTab(EnginePage):
    engine = "firefox"

    def __init__(self, browser: Firefox, context: str) -> None:
        self.browser = browser
        self.context = context

    def goto(self, url: str) -> None:
        self.browser.command("browsingContext.navigate", context=self.context, url=url, wait="complete")

    def evaluate(self, expression: str) -> Any:
        result = self.browser.command("script.evaluate", expression=expression, awaitPromise=True,
                                      target={"context": self.context}, resultOwnership="root")
        if result["type"] == "exception":
            details = result["exceptionDetails"]
            raise BrowserError(f"{expression!r} threw: {details.get('text')}")
        return _value(result["result"])

    def _element(self, selector: str) -> dict[str, Any]:
        node = self.evaluate(f"document.querySelector({json.dumps(selector)})")
        if not node:
            raise BrowserError(f"no element matches {selector}")
        return dict(node)

    def click(self, selector: str) -> None:
        self.evaluate(f"document.querySelector({json.dumps(selector)})?.scrollIntoView({{block: 'center'}})")
        element = self._element(selector)
        self.browser.command("input.performActions", context=self.context, actions=[{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [
                {"type": "pointerMove", "x": 0, "y": 0, "origin": {"type": "element", "element": element}},
                {"type": "pointerDown", "button": 0},
                {"type": "pointerUp", "button": 0},
            ]}])

    def set_files(self, selector: str, paths: list[Path]) -> None:
        self.browser.command("input.setFiles", context=self.context, element=self._element(selector),
                             files=[str(p.resolve()) for p in paths])

    def errors(self) -> list[str]:
        self.evaluate("0")  # a round trip: the events the browser sent before it have been read
        return [event["params"].get("text", "") for event in self.browser.events
                if event.get("method") == "log.entryAdded"
                and event["params"].get("type") == "javascript"
                and event["params"].get("source", {}).get("context") == self.context]


# -- WebKit over WebDriver (classic) --------------------------------------------------------------

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C WebDriver key of an element reference

#: Installed in every page after it loads: uncaught errors and rejections, for EnginePage.errors.
_CATCH_ERRORS = """
    if (!window.__engineErrors) {
        window.__engineErrors = [];
        addEventListener("error", (e) => window.__engineErrors.push(String(e.message)));
        addEventListener("unhandledrejection", (e) => window.__engineErrors.push(String(e.reason)));
    }
"""


class WebKit:
    """WebKitGTK's WebDriver server on a private Xvfb display; each :meth:`page` is a new MiniBrowser."""

    def __init__(self, env: dict[str, str]) -> None:
        assert XVFB
        self.xvfb = subprocess.Popen([XVFB, "-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.xvfb.stdout is not None
        display = self.xvfb.stdout.readline().strip()
        if not display:
            raise RuntimeError("Xvfb did not start")
        port = _free_port()
        # its own session: MiniBrowser and WebKit's helper processes go with it in close()
        self.driver = subprocess.Popen([str(WEBKIT_DRIVER), f"--port={port}"], env={**env, "DISPLAY": f":{display}"},
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
        deadline = time.monotonic() + 30
        while True:
            try:
                if self.http.get("/status").json()["value"]["ready"]:
                    break
            except httpx.TransportError:
                pass
            if self.driver.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("WebKitWebDriver did not start")
            time.sleep(0.1)

    def command(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(method, path, json=body)
        value = response.json().get("value")
        if response.status_code != 200:
            raise BrowserError(f"{method} {path}: {value}")
        return value

    @contextmanager
    def page(self) -> Iterator[WebKitPage]:
        session = self.command("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "MiniBrowser",
            "webkitgtk:browserOptions": {"binary": str(MINIBROWSER),
                                         "args": ["--automation", "--autoplay-policy=allow"]},
        }}})
        page = WebKitPage(self, session["sessionId"], session["capabilities"]["browserVersion"])
        try:
            self.command("POST", f"/session/{page.session}/timeouts", {"script": 120_000})
            yield page
        finally:
            self.command("DELETE", f"/session/{page.session}")

    def close(self) -> None:
        self.http.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.driver.pid, signal.SIGTERM)
        _stop(self.driver)
        self.xvfb.terminate()
        _stop(self.xvfb)


class WebKitPage(EnginePage):
    engine = "webkit"

    def __init__(self, browser: WebKit, session: str, version: str) -> None:
        self.browser = browser
        self.session = session
        self.version = version

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.browser.command(method, f"/session/{self.session}{path}", body)

    def goto(self, url: str) -> None:
        self._call("POST", "/url", {"url": url})
        self._call("POST", "/execute/sync", {"script": _CATCH_ERRORS, "args": []})

    def evaluate(self, expression: str) -> Any:
        result = self._call("POST", "/execute/async", {"script": (
            "const done = arguments[arguments.length - 1];"
            f"Promise.resolve().then(() => ({expression}))"
            ".then((value) => done({value: value === undefined ? null : value}),"
            " (error) => done({error: String(error)}));"), "args": []})
        if "error" in result:
            raise BrowserError(f"{expression!r} threw: {result['error']}")
        return result["value"]

    def _element(self, selector: str) -> str:
        return str(self._call("POST", "/element", {"using": "css selector", "value": selector})[ELEMENT])

    def click(self, selector: str) -> None:
        # pointer actions, as in Firefox: WebKitWebDriver's element click refused a <summary>
        # ("element click intercepted") whose centre the page itself hit-tests to the summary
        self.evaluate(f"document.querySelector({json.dumps(selector)})?.scrollIntoView({{block: 'center'}})")
        element = {ELEMENT: self._element(selector)}
        self._call("POST", "/actions", {"actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [
                {"type": "pointerMove", "x": 0, "y": 0, "origin": element},
                {"type": "pointerDown", "button": 0},
                {"type": "pointerUp", "button": 0},
            ]}]})

    def set_files(self, selector: str, paths: list[Path]) -> None:
        self._call("POST", f"/element/{self._element(selector)}/value",
                   {"text": "\n".join(str(p.resolve()) for p in paths)})

    def errors(self) -> list[str]:
        return list(self.evaluate("window.__engineErrors || []"))
