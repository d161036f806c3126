"""The installable portal: its web app manifest and icon, the service worker that keeps the
guided players and her audio for offline use, and the page shown when she is offline."""

from __future__ import annotations

import hashlib
from importlib.resources import files

from flask import Response, render_template, url_for

from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.programs.portal import bp

STATIC = files("pelvicoach.programs.portal").joinpath("static")


def _prefix() -> str:
    return url_for("portal.home").rstrip("/")


@bp.get("/manifest.webmanifest")
def manifest():
    tenant = require_tenant()
    body = {
        "name": tenant.name,
        "short_name": tenant.name[:12],
        "start_url": url_for("portal.home"),
        "scope": _prefix() + "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": tenant.brand_color,
        "icons": [
            {"src": url_for("portal.app_icon"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = Response(
        render_template("portal/manifest.json", body=body), mimetype="application/manifest+json"
    )
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/app-icon.svg")
def app_icon():
    response = Response(
        render_template("portal/app-icon.svg", colour=require_tenant().brand_color),
        mimetype="image/svg+xml",
    )
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/offline")
def offline():
    """Shown by the service worker when a page is not there offline: nothing personal in it."""
    return render_template("portal/offline.html")


@bp.get("/sw.js")
def service_worker():
    """Served from the tenant's root so its scope is the tenant's portal only."""
    shell = [
        url_for("portal.offline"),
        url_for("static", filename="css/app.css"),
        url_for("staff.brand_css"),
        url_for("portal.static", filename="player.js"),
        url_for("portal.static", filename="offline-log.js"),
        url_for("portal.static", filename="register.js"),
        url_for("bootstrap.static", filename="css/bootstrap.min.css"),
        url_for("bootstrap.static", filename="umd/popper.min.js"),
        url_for("bootstrap.static", filename="js/bootstrap.min.js"),
    ]
    keep = [url_for("portal.training_home"), _prefix() + "/exercises/"]
    scripts = [STATIC.joinpath(name).read_text() for name in ("player.js", "offline-log.js")]
    version = hashlib.sha256("".join([*shell, *scripts]).encode()).hexdigest()[:12]
    response = Response(
        render_template("portal/sw.js", shell=shell, keep=keep, version=version),
        mimetype="text/javascript",
    )
    response.headers["Cache-Control"] = "no-cache"
    return response
