"""What the platform accepts from the network, checked once before any view sees it.

Bad input must end in a 4xx, never in a 500 from deep inside. PostgreSQL refuses text with a
NUL character and cannot encode a lone UTF-16 surrogate (which a JSON `\\ud800` escape yields);
Python's JSON parser runs out of stack on deeply nested arrays; an integer in a path may not fit
the column it is compared with. All are refused here, for every route, so no view or query ever
meets them. Sizes are bounded by Flask's `MAX_CONTENT_LENGTH` (see `pelvicoach.platform.config`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

import flask
from flask import Flask, abort, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

# Characters no text column can store: NUL, and surrogates without their pair.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
LARGEST_ID = 2**31 - 1  # `<int:...>` path values are compared with INTEGER columns


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing documents it could not hand on safely. A `ValueError` here becomes
    a 400 (`Request.on_json_loading_failed`)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON is nested too deeply") from None
        if _holds_unstorable(value):
            raise ValueError("the JSON holds a NUL character or a lone surrogate")
        return value


class Request(flask.Request):
    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        """Say what is wrong with the body (Flask says it only in debug mode)."""
        if e is None:  # not sent as JSON at all: Flask's 415
            return super().on_json_loading_failed(e)
        raise BadRequest(f"The body is not valid JSON: {e}")


class IdConverter(IntegerConverter):
    """`<int:...>` for ids: a number too large for the column is no such page (404), not an
    error from the database."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)


def an_id(text: str) -> int:
    """An id sent in a form field or a query: ASCII digits that fit the columns, ValueError
    otherwise (`str.isdigit` takes a "²" that `int` refuses). `request.args.get(name,
    type=an_id)` gives None for anything else."""
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= LARGEST_ID:
        raise ValueError(f"not an id: {text[:20]!r}")
    return int(text)


def _holds_unstorable(value: Any) -> bool:
    """Any string (key or value) no column can store; iterative, as the document may be deep."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if UNSTORABLE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


F = TypeVar("F", bound=Callable[..., Any])


def accepts_uploads(limit: int) -> Callable[[F], F]:
    """A view that takes files takes bodies up to `limit` bytes (the platform's default is
    smaller), so it can say at the field that a file is too large rather than cut the request
    off. Set here, before the CSRF check or anything else reads the form."""

    def mark(view: F) -> F:
        view.max_content_length = limit  # type: ignore[attr-defined]
        return view

    return mark


def check_request() -> None:
    """Too large a body (by its declared length): 413 before anything reads it. A NUL or a lone
    surrogate in the path, the query, a header, a form field or a file name: 400."""
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "max_content_length", None):
        request.max_content_length = view.max_content_length  # type: ignore[union-attr]
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        abort(413)
    parts = [request.script_root, request.path, *request.args.keys(), *request.args.values()]
    parts += [value for _name, value in request.headers.items()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        parts += [*request.form.keys(), *request.form.values()]
        parts += [upload.filename or "" for upload in request.files.values()]
    if any(UNSTORABLE.search(part) for part in parts):
        abort(400, description="The request contains a NUL character or a lone surrogate.")


def init_app(app: Flask) -> None:
    app.request_class = Request
    app.json = JSONProvider(app)
    app.url_map.converters["int"] = IdConverter
    app.before_request(check_request)
