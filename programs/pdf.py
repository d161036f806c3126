"""Printable summaries as PDF, for her GP or physiotherapist (WeasyPrint; needs Debian's Pango)."""

from __future__ import annotations

import logging
from functools import cache

log = logging.getLogger(__name__)


@cache
def _weasyprint():
    """WeasyPrint's HTML and a fetcher of nothing but data: URLs (the charts written into the
    page), or None where its system libraries are missing: then the portal offers a printable
    page instead and says why."""
    try:
        from weasyprint import HTML, URLFetcher
    except OSError as exc:  # libpango or libgobject not installed
        log.warning("PDFs unavailable: %s", exc)
        return None
    return HTML, URLFetcher(allowed_protocols=("data",), fail_on_errors=True)


def render(html: str) -> bytes | None:
    """The PDF of `html` (self-contained: no external files are fetched), or None."""
    found = _weasyprint()
    if found is None:
        return None
    html_class, fetcher = found
    return html_class(string=html, url_fetcher=fetcher).write_pdf()
