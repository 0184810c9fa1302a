"""The served application: the REST API with the web console and portal mounted on it.

The API never imports the web face: the web sits above it and uses the API's service layer (facegate.api.service:
the gate, oversight, keys and links both faces share). This module, above both, puts them together for
`facegate serve` and the tests.
"""

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from facegate.api.app import create_api
from facegate.web import mount


def create_app(home: Path | None = None, **options: Any) -> FastAPI:
    """The API for a data directory (options as `facegate.api.app.create_api`) with the console and portal."""
    app = create_api(home, **options)
    mount(app)
    return app
