"""Exercise audio and read-aloud texts: rendered by a job from the same timeline the on-screen
player uses, valid MP3 of the right length, rendered once."""

from __future__ import annotations

import html
import io
import json
import re

import pytest
from mutagen.mp3 import MP3
from sqlalchemy import func, select

from pelvicoach.platform.extensions import db as database
from pelvicoach.programs.audio import services as audio
from pelvicoach.programs.audio.models import AudioClip
from pelvicoach.programs.audio.timeline import Cue, Timeline


def _page_timeline(page: str) -> dict:
    found = re.search(r'data-timeline="([^"]+)"', page)
    return json.loads(html.unescape(found.group(1)))


def test_exercise_mp3_matches_the_players_timeline(client, linde, patient_in, run_jobs):
    patient_in()
    page = client.get("/t/linde/exercises/the-knack")
    assert page.status_code == 200
    line = _page_timeline(page.text)
    starts = [cue["start"] for cue in line["cues"]]
    assert starts == sorted(starts)
    assert starts[0] == 0
    assert line["total"] == line["cues"][-1]["start"] + line["cues"][-1]["seconds"]

    pending = client.get("/t/linde/exercises/the-knack.mp3")
    assert pending.status_code == 503  # a worker renders it
    assert pending.headers["Retry-After"]
    assert run_jobs() == 1
    ready = client.get("/t/linde/exercises/the-knack.mp3")
    assert ready.status_code == 200
    assert ready.mimetype == "audio/mpeg"
    mp3 = MP3(io.BytesIO(ready.data))
    assert abs(mp3.info.length - line["total"]) < 1.0
    assert mp3.info.sample_rate == 22050
    # the clip was rendered from exactly the cue times the player shows
    timeline = Timeline([Cue(**cue) for cue in line["cues"]], line["total"])
    key = audio.digest("exercise", audio.exercise_spec(timeline, "nl"))
    clip = database.session.get(AudioClip, key)
    assert clip is not None
    assert clip.data == ready.data
    assert clip.spoken  # espeak-ng is installed on these machines
    # asked again, nothing new is rendered
    client.get("/t/linde/exercises/the-knack.mp3")
    assert run_jobs() == 0
    assert database.session.scalar(select(func.count()).select_from(AudioClip)) == 1


def test_each_language_gets_its_own_spoken_audio(client, linde, patient_in, run_jobs):
    patient_in()
    dutch = _page_timeline(client.get("/t/linde/exercises/breathing").text)
    english = _page_timeline(client.get("/t/linde/exercises/breathing?lang=en").text)
    assert [c["start"] for c in dutch["cues"]] == [c["start"] for c in english["cues"]]
    assert dutch["cues"][1]["words"] != english["cues"][1]["words"]
    client.get("/t/linde/exercises/breathing.mp3?lang=nl")
    client.get("/t/linde/exercises/breathing.mp3?lang=en")
    assert run_jobs() == 2


def test_a_module_is_read_aloud(client, linde, patient_in, run_jobs):
    patient_in()
    page = client.get("/t/linde/learn/toilet-habits")
    assert 'src="/t/linde/learn/toilet-habits/listen.mp3"' in page.text
    client.get("/t/linde/learn/toilet-habits/listen.mp3")
    run_jobs()
    spoken = client.get("/t/linde/learn/toilet-habits/listen.mp3")
    assert spoken.mimetype == "audio/mpeg"
    assert MP3(io.BytesIO(spoken.data)).info.length > 20  # several paragraphs read aloud


def test_the_web_role_cannot_write_audio(app, linde):
    from sqlalchemy import text

    insert = text(
        "INSERT INTO audio_clips (digest, kind, data, duration_ms, spoken, created_at)"
        " VALUES ('x', 'text', '', 0, false, now())"
    )
    with app.app_context():
        with pytest.raises(Exception, match="permission denied"):
            database.session.execute(insert)
        database.session.rollback()
