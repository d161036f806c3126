"""Texts that people write (program content, a tenant's own wording) as safe HTML: Markdown
(CommonMark, raw HTML shown as text) then nh3, a maintained sanitizer, as a second line that
allows only the few tags plain prose needs and links to the web, mail and phone."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
TAGS = {"p", "ul", "ol", "li", "strong", "em", "a", "br", "h3", "h4", "blockquote"}
ATTRIBUTES = {"a": {"href"}}
SCHEMES = {"https", "mailto", "tel"}


def to_html(text: str) -> Markup:
    """Markdown to sanitized HTML. Headings are kept below the page's own (h3 and h4)."""
    rendered = _markdown.render(text or "")
    for level in (1, 2):  # a page has its own h1 and h2
        rendered = rendered.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    cleaned = nh3.clean(rendered, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES)
    return Markup(cleaned.strip())  # noqa: S704 (sanitized by nh3 just above)
