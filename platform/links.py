"""Links in pages, each built once per process for the site it is on.

A page builds dozens of links (navigation, assets, forms) and Werkzeug's URL map built the same
ones again on every request: a twentieth of her home page's time (tests/perf/bench_pages.py).
A link relative to the site depends only on the endpoint, its values and the site's prefix
(`/t/<slug>` on the path form), so it is kept under those; absolute links, which name a host
and scheme, are built each time."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import Flask, current_app, has_request_context, request, url_for

ABSOLUTE = ("_external", "_scheme")
KEPT = 4096  # links per process; the least used go first


def page_url(endpoint: str, **values: Any) -> str:
    """`url_for` for templates."""
    if endpoint.startswith(".") or not has_request_context() or any(k in values for k in ABSOLUTE):
        return url_for(endpoint, **values)
    key = tuple(sorted((name, type(value), value) for name, value in values.items()))
    try:
        return current_app.extensions["pelvicoach.links"](request.script_root, endpoint, key)
    except TypeError:  # a value that cannot be a key (a list of query values)
        return url_for(endpoint, **values)


def _build(_site: str, endpoint: str, key: tuple[tuple[str, type, Any], ...]) -> str:
    return url_for(endpoint, **{name: value for name, _type, value in key})


def init_app(app: Flask) -> None:
    app.extensions["pelvicoach.links"] = lru_cache(maxsize=KEPT)(_build)
    app.jinja_env.globals["url_for"] = page_url
