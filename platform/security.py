"""Security headers: a CSP with no inline script or style, no framing, HTTPS in production,
and no caching of anything but static files."""

from __future__ import annotations

from flask import Flask, Response, request

from pelvicoach.platform.extensions import talisman

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "media-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def init_app(app: Flask) -> None:
    production = app.config["PELVICOACH_MODE"] == "production"
    talisman.init_app(
        app,
        force_https=production,
        strict_transport_security=production,
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="same-origin",
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )
    app.after_request(no_store)


def no_store(response: Response) -> Response:
    """Pages carry personal and health data: no browser or proxy may keep a copy. Static files
    and responses that set their own caching (the tenant's colours) are left as they are."""
    endpoint = request.endpoint or ""
    if "Cache-Control" not in response.headers and not endpoint.endswith("static"):
        response.headers["Cache-Control"] = "no-store"
    return response
