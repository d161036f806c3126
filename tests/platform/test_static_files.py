"""Static files carry a version (a digest of their content) in their address, and with it are
kept for a year; without it, or with an old one, they are revalidated as before. Pages keep
their no-store."""

from __future__ import annotations

import re


def test_static_files_are_versioned_and_kept_a_year(client, make_tenant):
    make_tenant("linde")
    page = client.get("/t/linde/login")
    assert page.headers["Cache-Control"] == "no-store"
    links = re.findall(r'(?:href|src)="(/t/linde/[^"]*static/[^"]+)"', page.text)
    assert links, "the page links no static files"
    assert all(re.search(r"[?&]v=[0-9a-f]{12}$", link) for link in links), links
    for link in links:
        answer = client.get(link.replace("&amp;", "&"))
        assert answer.status_code == 200, link
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable", link
    plain = client.get(links[0].split("?")[0])
    assert plain.status_code == 200
    assert "max-age=31536000" not in plain.headers.get("Cache-Control", "")
    old = client.get(links[0].split("?")[0] + "?v=000000000000")
    assert "immutable" not in old.headers.get("Cache-Control", "")
