"""Language choice: Dutch first, English on request, remembered for the session."""

from __future__ import annotations

from typing import Any

from babel.support import NullTranslations
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import format_decimal, format_percent, get_locale, get_translations
from jinja2.runtime import Context
from jinja2.utils import pass_context

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
    # The language of the account signed in, as it was read when the request loaded it:
    # choosing a language must not hit the database (after a commit, asking the account again
    # would load it again).
    if g.get("account_locale") in LOCALES:
        return g.account_locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str | None:
    """The tenant's zone on its pages; the platform's default (BABEL_DEFAULT_TIMEZONE) elsewhere."""
    tenant = g.get("tenant") if has_request_context() else None
    return getattr(tenant, "time_zone", None)


# The page's catalogue, found once per rendering at its first text. Flask-Babel's own template
# functions look it up again for each of the dozens of texts on a page, through half a dozen
# context lookups each (a tenth of the time of her home page).
CATALOGUE = "_pelvicoach_catalogue"


class _Catalogue:
    """Found at the first text, not when rendering starts: choosing the language may write the
    session (`?lang=`), which must come after the page has loaded who is signed in."""

    __slots__ = ("found",)

    def __init__(self) -> None:
        self.found: NullTranslations | None = None

    def get(self) -> NullTranslations:
        if self.found is None:
            self.found = get_translations()
        return self.found


def _catalogue(context: Context) -> NullTranslations:
    kept = context.get(CATALOGUE)  # absent in a macro imported without context
    return kept.get() if kept is not None else get_translations()


@pass_context
def _gettext(context: Context, message: str) -> str:
    return _catalogue(context).ugettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, count: int) -> str:
    return _catalogue(context).ungettext(singular, plural, count)


@pass_context
def _pgettext(context: Context, where: str, message: str) -> str:
    return _catalogue(context).upgettext(where, message)


@pass_context
def _npgettext(context: Context, where: str, singular: str, plural: str, count: int) -> str:
    return _catalogue(context).unpgettext(where, singular, plural, count)


def _rendering_catalogue() -> dict[str, Any]:
    return {CATALOGUE: _Catalogue()}


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext,
        ngettext=_ngettext,
        pgettext=_pgettext,
        npgettext=_npgettext,
        newstyle=True,
    )
    app.context_processor(_rendering_catalogue)
    app.jinja_env.globals.update(
        LOCALES=LOCALES, LANGUAGE_NAMES=LANGUAGE_NAMES, get_locale=get_locale
    )
    # Numbers written as the reader's language writes them (1.234 and 12 % in Dutch).
    app.jinja_env.filters.update(format_decimal=format_decimal, format_percent=format_percent)
