"""Printable summaries as PDF, for her GP or physiotherapist (WeasyPrint; needs Debian's Pango)."""

from __future__ import annotations

import logging
from functools import cache

log = logging.getLogger(__name__)


@cache
def _html_class():
    """WeasyPrint's HTML, or None where its system libraries are missing: then the portal
    offers a printable page instead and says why."""
    try:
        from weasyprint import HTML
    except OSError as exc:  # libpango or libgobject not installed
        log.warning("PDFs unavailable: %s", exc)
        return None
    return HTML


def render(html: str) -> bytes | None:
    """The PDF of `html` (self-contained: no external files are fetched), or None."""
    html_class = _html_class()
    if html_class is None:
        return None
    return html_class(string=html, url_fetcher=_no_fetching).write_pdf()


def _no_fetching(url: str, *args: object, **kwargs: object) -> dict:
    raise ValueError(f"no external resources in PDFs: {url}")
