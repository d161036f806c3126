"""Rendered audio, kept by the digest of what it was rendered from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform.extensions import db


class AudioClip(db.Model):
    """An MP3 of an exercise or of a text read aloud. The key is a digest of everything that
    shapes the sound (timing, words, voice, renderer), so a changed text or timing is a new
    clip and an unchanged one is rendered once, for every tenant that uses it. Programme
    content, never patient data, hence not tenant-scoped."""

    __tablename__ = "audio_clips"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    duration_ms: Mapped[int] = mapped_column(Integer)
    # False when the voice (espeak-ng) was missing: tones only, the page says so.
    spoken: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
