"""earmark studio: the local web app to record, upload, train, inspect and try a sound classifier.

Build it like the CLI does::

    from earmark.studio import StudioSettings, create_app
    app = create_app(StudioSettings(projects_root=Path("~/earmark-projects").expanduser()))

then serve ``app`` with any ASGI server (``earmark studio`` uses uvicorn). Needs the
``studio`` extra: ``pip install 'earmark[studio]'``.
"""

from .app import create_app
from .settings import StudioSettings

__all__ = ["StudioSettings", "create_app"]
