"""Browsers that signed in to an account before: a signed, long-lived cookie naming the
accounts (by their throttle key) that were used in it. When an account is paused after attacks
from many networks, its owner on her own phone is not shut out (`throttle.before_attempt`)."""

from __future__ import annotations

from datetime import timedelta

from flask import after_this_request, current_app, request
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "known-device"
KNOWN_FOR = timedelta(days=180)
MOST = 5  # accounts remembered per browser


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=f"{COOKIE}:{request.host}")


def accounts() -> list[str]:
    """The accounts this browser signed in to here (a forged or old cookie names none)."""
    value = request.cookies.get(COOKIE)
    if not value:
        return []
    try:
        known = _signer().loads(value, max_age=int(KNOWN_FOR.total_seconds()))
    except BadSignature:
        return []
    return [account for account in known if isinstance(account, str)][:MOST]


def remember(account: str) -> None:
    """Add `account` to this browser's cookie (set on the response)."""
    value = _signer().dumps([account, *(a for a in accounts() if a != account)][:MOST])
    path = current_app.session_interface.get_cookie_path(current_app)

    @after_this_request
    def set_cookie(response: ResponseReturnValue) -> ResponseReturnValue:
        response.set_cookie(  # type: ignore[union-attr]
            COOKIE,
            value,
            max_age=KNOWN_FOR,
            path=path,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
        return response
