"""Finding a rendered clip, or asking a job to render it.

A clip is named by the digest of everything that shapes it, so asking twice, from two tenants
or two processes, renders once; a changed text or timing gets a new digest and a new clip."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pelvicoach.platform import jobs
from pelvicoach.platform.extensions import db
from pelvicoach.programs.audio import render
from pelvicoach.programs.audio.models import AudioClip
from pelvicoach.programs.audio.timeline import Cue, Timeline

RENDERER = "1"  # bump when the sound of the same input changes: every clip renders anew


def digest(kind: str, spec: dict[str, Any]) -> str:
    canonical = json.dumps([RENDERER, kind, spec], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def exercise_spec(line: Timeline, locale: str) -> dict[str, Any]:
    return {"locale": locale, **line.as_json()}


def text_spec(words: str, locale: str) -> dict[str, Any]:
    return {"locale": locale, "text": words}


def find(key: str) -> AudioClip | None:
    return db.session.get(AudioClip, key)


def has(key: str) -> bool:
    return db.session.scalar(select(AudioClip.digest).where(AudioClip.digest == key)) is not None


def clip_for(kind: str, spec: dict[str, Any]) -> AudioClip | None:
    """The rendered clip, or None after queueing its rendering. In-process (the demo) the job
    runs at once, so the clip is there on return; with a worker, soon after."""
    key = digest(kind, spec)
    clip = find(key)
    if clip is None:
        jobs.enqueue(render_clip, key, kind, spec, queue="low", job_id=f"audio-{key}")
        clip = find(key)
    return clip


def render_clip(key: str, kind: str, spec: dict[str, Any]) -> None:
    """The job: render and store the clip once (idempotent, safe to run twice at once)."""
    if has(key):
        return
    if kind == "exercise":
        line = Timeline([Cue(**cue) for cue in spec["cues"]], spec["total"])
        data, spoken = render.exercise(line, spec["locale"])
        seconds = float(line.total)
    else:
        data, seconds = render.text(spec["text"], spec["locale"])
        spoken = True
    try:
        with db.session.begin_nested():
            db.session.add(
                AudioClip(
                    digest=key,
                    kind=kind,
                    data=data,
                    duration_ms=round(seconds * 1000),
                    spoken=spoken,
                    created_at=datetime.now(UTC),
                )
            )
        db.session.commit()
    except IntegrityError:  # rendered by another worker meanwhile
        db.session.rollback()
