"""The studio app factory: the CLI, the tests and scripts all build the app the same way.

``create_app(StudioSettings(projects_root=...))`` returns a FastAPI app that serves the JSON
API (``/api``, documented at ``/docs`` and ``/openapi.json``), the single-page app shipped
in ``static/`` and the share page ``/try/<token>``. Every error answers in one JSON shape::

    {"error": {"status": 404, "type": "NotFoundError", "message": "no class 'bass' in ..."}}
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from .._version import __version__
from ..errors import EarmarkError, InstallError, NotFoundError, RangeNotSatisfiableError
from ..report import finite
from .files import StudioFileResponse
from .guard import SameOriginMiddleware, error_body
from .routes import classes, models, projects, samples, share, testset, training
from .settings import StudioSettings
from .state import Studio

__all__ = ["create_app", "error_body"]

_log = logging.getLogger("earmark.studio")


class StudioJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(finite(content), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")) or "request"
        if err.get("type") == "json_invalid":  # the body itself, at a character offset: not a field's value
            return (f"the request body is not valid JSON ({err.get('msg', 'invalid')} at character {where}); "
                    "send a JSON object")
        if err.get("type") == "string_too_short" and (err.get("ctx") or {}).get("min_length") == 1:
            parts.append(f"{where} must not be empty")
        else:
            parts.append(f"{where}: {str(err.get('msg', 'invalid')).lower()}")
    return "; ".join(parts) + "; fix the value and try again"


def static_dir() -> Path:
    return Path(str(resources.files("earmark.studio") / "static"))


def check_install(*, share_only: bool = False) -> None:
    """An :class:`InstallError` when a page the studio serves (``index.html``; ``try.html``, all
    ``share_only`` serves) is missing from earmark's install, so that it refuses to start."""
    static = static_dir()
    for name in ("try.html",) if share_only else ("index.html", "try.html"):
        if not (static / name).is_file():
            raise _broken_install(static / name)


def _broken_install(path: Path) -> InstallError:
    """The error for a file of earmark's own that is not there (not a user's file: those are 404s)."""
    return InstallError(f"earmark studio's own files are missing: {path} is not there (the install of earmark is "
                        "broken, or was changed while the studio ran; your projects are untouched); reinstall "
                        "earmark: pip install --force-reinstall --no-deps earmark, then start earmark studio again")


def _page(path: Path) -> StudioFileResponse:
    """One of the studio's pages; missing, an :class:`InstallError` (500), not the 404 of a user's file
    another request deleted."""
    if not path.is_file():
        raise _broken_install(path)
    return StudioFileResponse(path, headers={"Cache-Control": "no-cache"})


def _install_error_handlers(app: FastAPI) -> None:
    """Every error, expected or not, answers in the one JSON shape."""

    @app.exception_handler(EarmarkError)
    async def earmark_error(_: Request, exc: EarmarkError) -> JSONResponse:
        return StudioJSONResponse(error_body(exc.http_status, type(exc).__name__, str(exc)),
                                  status_code=exc.http_status)

    @app.exception_handler(RangeNotSatisfiableError)
    async def range_not_satisfiable(_: Request, exc: RangeNotSatisfiableError) -> JSONResponse:
        # a 416 says how long the file is (RFC 9110 §15.5.17), for the client to ask again within it
        return StudioJSONResponse(error_body(exc.http_status, type(exc).__name__, str(exc)),
                                  status_code=exc.http_status, headers={"Content-Range": f"bytes */{exc.size}"})

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return StudioJSONResponse(error_body(400, "ParameterError", _validation_message(exc)), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = "no such page or API route; see /docs" if exc.status_code == 404 else str(exc.detail)
        return StudioJSONResponse(error_body(exc.status_code, "HTTPError", message), status_code=exc.status_code,
                                  headers=exc.headers)  # a 405's Allow

    @app.exception_handler(FileNotFoundError)
    async def gone(_: Request, exc: FileNotFoundError) -> JSONResponse:
        # Two requests at once on the same thing (a double click): the second finds it gone.
        return StudioJSONResponse(error_body(404, "NotFoundError", "it is no longer there: another request moved or "
                                             "deleted it meanwhile; reload to see what is left"), status_code=404)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        _log.exception("unexpected error")
        return StudioJSONResponse(error_body(500, "InternalError",
                                             f"something went wrong inside earmark ({type(exc).__name__}); the "
                                             "studio's terminal shows the details: please report them with the "
                                             "steps that led here"), status_code=500)


def _offline_api_docs(app: FastAPI) -> None:
    """Swagger UI at ``/docs`` from the files of the swagger-ui-bundle package (FastAPI's default
    loads them from a CDN, and the studio must work offline)."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:  # the API still documents itself at /openapi.json
        return
    app.mount("/docs-static", StaticFiles(directory=swagger_ui_path), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="earmark studio API",
                                   swagger_js_url="/docs-static/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-static/swagger-ui.css",
                                   swagger_favicon_url="/docs-static/favicon-32x32.png")


def create_app(settings: StudioSettings, *, share_only: bool = False) -> FastAPI:
    """Build the studio app for ``settings`` (nothing is read or started at import time).

    ``share_only`` builds the app of ``earmark share``: the try pages of the models and the
    routes they use, nothing that lists or changes a project.
    """
    studio = Studio(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        studio.close()

    app = FastAPI(title="earmark studio", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  default_response_class=StudioJSONResponse,
                  description="Record, upload, train, inspect and try sound classifiers. "
                              "Every error answers {\"error\": {\"status\", \"type\", \"message\"}}.")
    app.state.studio = studio
    app.add_middleware(SameOriginMiddleware, allowed_hosts=settings.allowed_hosts)

    _install_error_handlers(app)

    for module in (share,) if share_only else (projects, classes, samples, training, models, testset, share):
        app.include_router(module.router)

    static = static_dir()
    if not static.is_dir():  # StaticFiles would refuse it with a RuntimeError that names no remedy
        raise _broken_install(static)
    app.mount("/static", StaticFiles(directory=static), name="static")
    _offline_api_docs(app)

    if not share_only:
        @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
        def index() -> StudioFileResponse:
            return _page(static / "index.html")
    else:
        @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
        def nothing_shared_here() -> None:  # the links name their model; this server lists none
            raise NotFoundError("this server shares earmark models by their links only (/try/…); open the link "
                                "you were given, or ask its sender for it")

    @app.api_route("/try/{token}", methods=["GET", "HEAD"], include_in_schema=False)
    def try_page(token: str) -> StudioFileResponse:
        return _page(static / "try.html")

    return app
