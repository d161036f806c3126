"""Language choice: Dutch first, English on request, remembered for the session."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import format_decimal, format_percent, get_locale

from pelvicoach.platform.config import LOCALES
from pelvicoach.platform.extensions import babel

# Each language named in its own words: a Dutch reader looking for English finds "English".
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}


def N_(message: str) -> str:  # noqa: N802 (the name the extractor looks for)
    """Mark a text for translation where it must stay a plain string (marshmallow's messages,
    which the API answers in English); the page that shows it passes it through gettext."""
    return message


def select_locale() -> str:
    if not has_request_context():  # commands and jobs speak the platform's default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang")
    if chosen in LOCALES:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in LOCALES:
        return session["lang"]
    # Only a user already loaded for this request: choosing a language must not hit the database.
    user = g.get("_login_user")
    if user is not None and getattr(user, "locale", None) in LOCALES:
        return user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str | None:
    """The tenant's zone on its pages; the platform's default (BABEL_DEFAULT_TIMEZONE) elsewhere."""
    tenant = g.get("tenant") if has_request_context() else None
    return getattr(tenant, "time_zone", None)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals.update(
        LOCALES=LOCALES, LANGUAGE_NAMES=LANGUAGE_NAMES, get_locale=get_locale
    )
    # Numbers written as the reader's language writes them (1.234 and 12 % in Dutch).
    app.jinja_env.filters.update(format_decimal=format_decimal, format_percent=format_percent)
