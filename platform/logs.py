"""Logging: a request id on every request and, in production, one JSON object per line."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from typing import Any

from flask import Flask, g, has_request_context, request
from flask.typing import ResponseReturnValue
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

log = logging.getLogger("pelvicoach.request")


class RequestContextFilter(logging.Filter):
    """Stamp each record with the request id and tenant, so lines of one request can be joined.
    Both are plain values on `g`: a log line must never query, least of all on a failed session."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id", "-")
            tenant = g.get("tenant")
            record.tenant = tenant.slug if tenant is not None else "-"
        else:
            record.request_id = "-"
            record.tenant = "-"
        return True


def configure(json_lines: bool, level: int) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestContextFilter())
    if json_lines:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(tenant)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
        )
    root = logging.getLogger("pelvicoach")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


SECRET_URL_PARTS = frozenset({"token"})


def _loggable_path() -> str:
    """The path, with secrets that travel in it (reset tokens) blanked out."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if name in SECRET_URL_PARTS and isinstance(value, str):
            path = path.replace(value, "***")
    return path


def init_app(app: Flask) -> None:
    if not app.testing:
        configure(app.config["LOG_JSON"], app.config["LOG_LEVEL"])

    def log_exception(exc_info: Any) -> None:
        """Flask's own line for an error, its path's secrets blanked out as in the request log."""
        app.logger.error(
            "Exception on %s [%s]", _loggable_path(), request.method, exc_info=exc_info
        )

    app.log_exception = log_exception  # type: ignore[method-assign]

    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: ResponseReturnValue):
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        started = g.get("request_started", time.perf_counter())
        path = _loggable_path()
        log.info(
            "%s %s %s",
            request.method,
            path,
            response.status_code,
            extra={
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response
