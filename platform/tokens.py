"""Secrets that travel (session, reset and API tokens) are stored only as their digest: a copy
of the database then signs no one in."""

from __future__ import annotations

import hashlib


def digest(token: str) -> str:
    """SHA-256, hex: tokens are long and random, so no salt or stretching is needed."""
    return hashlib.sha256(token.encode()).hexdigest()
