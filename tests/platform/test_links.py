"""Links in pages are built once per process for each site: the same address url_for builds,
the tenant's path prefix kept apart, and absolute links built each time."""

from __future__ import annotations

from flask import url_for

from pelvicoach.platform.links import page_url


def test_a_page_link_is_what_url_for_builds_for_its_site(app):
    kept = app.extensions["pelvicoach.links"]
    cases = [
        ("portal.home", {}),
        ("static", {"filename": "css/app.css"}),
        ("portal.module", {"key": "bekkenbodem"}),
        ("portal.home", {"lang": "en"}),
        ("portal.messages_page", {"_anchor": "latest"}),
    ]
    for site in ("/t/linde", "/t/berg", ""):
        with app.test_request_context("/", base_url=f"http://localhost{site}"):
            for endpoint, values in cases:
                assert page_url(endpoint, **values) == url_for(endpoint, **values)
                assert page_url(endpoint, **values) == url_for(endpoint, **values)
    info = kept.cache_info()
    assert info.misses == 3 * len(cases)  # built once per site
    assert info.hits == 3 * len(cases)
    with app.test_request_context("/", base_url="http://localhost/t/linde"):
        assert page_url("portal.home").startswith("/t/linde/")
        assert page_url("portal.home", _external=True) == "http://localhost/t/linde/"
    with app.test_request_context("/", base_url="http://localhost/t/berg"):
        assert page_url("portal.home") == "/t/berg/"
    assert kept.cache_info().misses == 3 * len(cases)  # the absolute link was not kept


def test_a_value_that_cannot_be_a_key_is_built_each_time(app):
    with app.test_request_context("/", base_url="http://localhost"):
        assert page_url("portal.home", tag=["a", "b"]) == url_for("portal.home", tag=["a", "b"])
