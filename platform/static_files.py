"""Static files with a version in their address (a digest of the file's content), so a phone
keeps them for a year and asks again only when a release changed them. Without the version (an
old page, a hand-typed address) they are revalidated each time, by ETag, as before."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request

YEAR = 365 * 24 * 3600


def _is_static(endpoint: str | None) -> bool:
    return endpoint is not None and (endpoint == "static" or endpoint.endswith(".static"))


def _folder(app: Flask, endpoint: str) -> str | None:
    if endpoint == "static":
        return app.static_folder
    blueprint = app.blueprints.get(endpoint.rsplit(".", 1)[0])
    return blueprint.static_folder if blueprint is not None else None


@lru_cache(maxsize=2048)
def _digest(folder: str, filename: str) -> str | None:
    """The file's version: read once per process (a release replaces the process)."""
    root = Path(folder).resolve()
    path = (root / filename).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _version_of(endpoint: str, filename: str) -> str | None:
    folder = _folder(current_app, endpoint)
    return _digest(folder, filename) if folder else None


def _add_version(endpoint: str, values: dict[str, Any]) -> None:
    filename = values.get("filename")
    if _is_static(endpoint) and filename and "v" not in values:
        version = _version_of(endpoint, filename)
        if version:
            values["v"] = version


def _keep_versioned(response: Response) -> Response:
    endpoint = request.endpoint
    if _is_static(endpoint) and response.status_code == 200:
        filename = (request.view_args or {}).get("filename", "")
        if request.args.get("v") and request.args["v"] == _version_of(endpoint, filename):
            response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response


def init_app(app: Flask) -> None:
    app.url_defaults(_add_version)
    app.after_request(_keep_versioned)
