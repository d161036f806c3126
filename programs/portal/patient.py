"""The signed-in patient and the program she follows, as every portal page needs them."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Response, abort, g
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from markupsafe import Markup, escape

from pelvicoach.platform import prose
from pelvicoach.platform.access import require_access
from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.programs import pdf
from pelvicoach.programs.progress.services import Standing, standing


def her() -> Standing:
    """The signed-in patient's record (through the access policy), her program version and
    progress; 404 when she has no record at this tenant. Read once per request."""
    if "her" not in g:
        found = standing(require_tenant().id, current_user.id)
        if found is None:
            abort(404)
        require_access(found.patient)
        g.her = found
    return g.her


def zone() -> ZoneInfo:
    """Her tenant's time zone (Flask-Babel's is pytz, which must not meet datetime.combine)."""
    return ZoneInfo(str(get_timezone()))


def today() -> date:
    """Her calendar day: in her tenant's time zone, not the server's."""
    return datetime.now(zone()).date()


def localized(text: dict[str, str] | None) -> str:
    """A program text in her language, Dutch when a translation is missing."""
    if not text:
        return ""
    return text.get(str(get_locale())) or text.get("nl") or next(iter(text.values()))


def as_html(body: str) -> Markup:
    """Program prose (Markdown: blank lines make paragraphs, "- " lists) as safe HTML."""
    return prose.to_html(body)


def illustration_in(svg: str, title: str, description: str) -> Markup:
    """A project-drawn SVG (stored with Dutch title and description) named in her language."""
    for element, text in (("title", title), ("desc", description)):
        svg = re.sub(
            rf"(<{element}[^>]*>).*?(</{element}>)",
            lambda m, text=text: f"{m[1]}{escape(text)}{m[2]}",
            svg,
            count=1,
            flags=re.S,
        )
    return Markup(svg)  # noqa: S704 (our own files, with escaped texts put in)


def pdf_download(html: str, filename: str, fallback: str) -> Response:
    """`html` as a PDF attachment; where PDFs cannot be made here, the `fallback` page (503)
    that she can print or show instead."""
    document = pdf.render(html)
    if document is None:
        return Response(fallback, status=503, mimetype="text/html")
    response = Response(document, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
