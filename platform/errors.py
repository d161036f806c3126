"""Error responses: a friendly page in the visitor's language, or RFC 9457 problem details for
API clients. Never a bare stack trace."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from pelvicoach.platform.database import end_transaction

log = logging.getLogger(__name__)
# A database restart or failover is over in seconds: ask clients to come back after this.
RETRY_AFTER = 5

MESSAGES = {
    400: (_l("Something in your request was not right"), _l("Please go back and try again.")),
    403: (_l("You cannot open this page"), _l("Your account has no access to this page.")),
    404: (
        _l("We cannot find this page"),
        _l("The page may have moved, or the link is not quite right."),
    ),
    405: (_l("This action is not possible here"), _l("Please go back and try again.")),
    413: (
        _l("This is too large"),
        _l("What you sent is larger than we accept. Please send something smaller."),
    ),
    429: (
        _l("Too many attempts"),
        _l("Please wait a moment before you try again."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("We have been notified. Please try again in a few minutes."),
    ),
    503: (
        _l("We are back in a moment"),
        _l("Something on our side is starting up again. Please try again in a few seconds."),
    ),
}


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(
        ["text/html", "application/problem+json", "application/json"]
    )
    return best in ("application/json", "application/problem+json")


def problem(status: int, title: str, detail: str | None = None, **extra: object) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, **extra}
    if detail:
        body["detail"] = detail
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def handle_http_error(error: HTTPException) -> Response | tuple[str, int]:
    if isinstance(error, InternalServerError):
        end_transaction()
        if isinstance(error.original_exception, OperationalError | PoolTimeoutError):
            error = _unavailable(error.original_exception)
    status = error.code or 500
    if wants_json():
        response = problem(status, error.name, error.description if status < 500 else None)
    else:
        response = Response(_error_page(status, error), status=status)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def handle_database_unavailable(error: Exception) -> Response | tuple[str, int]:
    """A query that could not reach the database, wherever in the request it was made."""
    end_transaction()
    return handle_http_error(_unavailable(error))


def _unavailable(cause: Exception) -> ServiceUnavailable:
    """The database could not be reached or answer (restarting, failing over, every pooled
    connection busy): nothing is wrong with the request and it may be sent again, so a 503
    with Retry-After, at once, rather than a 500."""
    log.warning("database unavailable: %s", str(cause).splitlines()[0][:200])
    return ServiceUnavailable(retry_after=RETRY_AFTER)


def _error_page(status: int, error: HTTPException) -> str:
    """The friendly page, or, when even that cannot be built (no URL adapter for a bad Host,
    the database gone while loading the user), a plain one: never a second error."""
    title, text = MESSAGES.get(status, (error.name, ""))
    try:
        return render_template("errors/error.html", status=status, title=title, text=text)
    except Exception:  # the page must not fail; log why, answer plainly
        current_app.logger.exception("error page %s could not be rendered", status)
        return f"<!doctype html><title>{status}</title><h1>{status} {escape(error.name)}</h1>"


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    for unavailable in (OperationalError, PoolTimeoutError):
        app.register_error_handler(unavailable, handle_database_unavailable)
