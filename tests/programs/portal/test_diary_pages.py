"""The bladder diary in the portal: start it, note entries with one thumb (once per tap), bad
input explained, the flagged summary, its PDF, and bladder training starting from it."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from conftest import her_today
from sqlalchemy import select

from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.diary.models import Diary, DiaryEntry


def _entries(tenant) -> list[DiaryEntry]:
    database.session.expire_all()
    with tenant_context(tenant.id, database.session):
        return list(database.session.scalars(select(DiaryEntry).order_by(DiaryEntry.at)))


def _start(client) -> None:
    assert client.post("/t/linde/diary/start", data={"start": "today"}).status_code == 302


def _backdate(tenant, days: int) -> None:
    with tenant_context(tenant.id, database.session):
        diary = database.session.scalar(select(Diary))
        diary.starts_on -= timedelta(days=days)
        database.session.commit()


def _note(client, kind: str, day: date, clock: str, **fields) -> object:
    page = client.get(f"/t/linde/diary/add/{kind}")
    client_id = re.search(r'name="client_id" value="([^"]+)"', page.text).group(1)
    data = {"client_id": client_id, "day": day.isoformat(), "time": clock, **fields}
    return client.post(f"/t/linde/diary/add/{kind}?lang=en", data=data)


def test_she_starts_a_diary_and_notes_with_one_thumb(client, linde, patient_in):
    patient_in()
    intro = client.get("/t/linde/diary?lang=en")
    assert "For 3 days" in intro.text
    _start(client)
    page = client.get("/t/linde/diary?lang=en")
    assert "Day 1 of 3" in page.text
    for kind in ("void", "drink", "leak", "pad", "bed", "wake"):
        assert f'/t/linde/diary/add/{kind}"' in page.text
    today = her_today()
    assert _note(client, "void", today, "08:00", millilitres="350", urgency="2").status_code == 302
    assert (
        _note(client, "drink", today, "08:15", millilitres="250", drink="coffee_tea").status_code
        == 302
    )
    assert (
        _note(
            client, "leak", today, "09:00", leak_amount="drops", activity="cough_sneeze"
        ).status_code
        == 302
    )
    assert _note(client, "void", today, "11:00").status_code == 302  # not measured
    noted = _entries(linde)
    assert [(e.kind, e.millilitres) for e in noted] == [
        ("void", 350),
        ("drink", 250),
        ("leak", None),
        ("void", None),
    ]
    assert noted[0].urgency == 2
    assert noted[1].drink == "coffee_tea"
    assert noted[2].activity == "cough_sneeze"
    listed = client.get("/t/linde/diary?lang=en")
    assert "08:15" in listed.text
    assert "Coffee or tea" in listed.text


def test_a_double_tap_notes_once(client, linde, patient_in):
    patient_in()
    _start(client)
    page = client.get("/t/linde/diary/add/void")
    client_id = re.search(r'name="client_id" value="([^"]+)"', page.text).group(1)
    data = {"client_id": client_id, "day": her_today().isoformat(), "time": "10:00"}
    client.post("/t/linde/diary/add/void", data=data)
    client.post("/t/linde/diary/add/void", data=data)
    assert len(_entries(linde)) == 1


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("drink", {}, "Fill in an amount between 10 and 2500 mL."),
        ("drink", {"millilitres": "250"}, "Choose what you drank."),
        ("void", {"millilitres": "5000"}, "Fill in an amount between 10 and 2500 mL."),
        ("void", {"millilitres": "lots"}, "Fill in an amount between 10 and 2500 mL."),
        ("void", {"urgency": "7"}, "Choose a number from 0 to 4."),
        ("leak", {"leak_amount": "buckets", "activity": "lifting"}, "Choose how much you lost."),
        ("void", {"time": "25:61"}, "Fill in a time, for example 08:30."),
        ("void", {"day": "2001-01-01"}, "Choose one of the diary"),
    ],
)
def test_bad_entries_are_explained_and_nothing_is_stored(
    client, linde, patient_in, kind, fields, message
):
    patient_in()
    _start(client)
    answer = {"time": "10:00", **fields}
    day = date.fromisoformat(answer.pop("day", her_today().isoformat()))
    response = _note(client, kind, day, answer.pop("time"), **answer)
    assert response.status_code == 422
    assert message in response.text.replace("&#39;", "'")
    assert 'aria-invalid="true"' in response.text
    assert _entries(linde) == []


def test_entries_can_be_removed_but_only_from_her_own_diary(client, linde, patient_in):
    patient_in()
    _start(client)
    _note(client, "pad", her_today(), "10:00")
    (entry,) = _entries(linde)
    client.post("/t/linde/logout")
    patient_in("other@example.nl")
    _start(client)
    assert client.post(f"/t/linde/diary/entries/{entry.id}/delete").status_code == 404
    assert [e.id for e in _entries(linde)] == [entry.id]  # not hers: nothing removed
    _note(client, "pad", her_today(), "11:00")
    own = next(e for e in _entries(linde) if e.id != entry.id)
    client.post(f"/t/linde/diary/entries/{own.id}/delete")
    assert [e.id for e in _entries(linde)] == [entry.id]


def test_the_summary_flags_what_is_unusual_and_prints_as_pdf(client, linde, patient_in):
    patient_in()
    _start(client)
    _backdate(linde, 3)
    first = her_today() - timedelta(days=3)
    for day in range(3):
        on = first + timedelta(days=day)
        _note(client, "wake", on, "07:00")
        for clock in (
            "07:30",
            "09:00",
            "10:30",
            "12:00",
            "13:30",
            "15:00",
            "16:30",
            "18:00",
            "20:00",
            "22:00",
        ):
            _note(client, "void", on, clock, millilitres="150", urgency="3")
        _note(client, "drink", on, "08:00", millilitres="500", drink="water")
        _note(client, "drink", on, "13:00", millilitres="500", drink="coffee_tea")
        _note(client, "leak", on, "11:00", leak_amount="small", activity="urge")
        _note(client, "bed", on, "23:00")
        _note(client, "void", on + timedelta(days=1), "03:00", millilitres="200")
    summary = client.get("/t/linde/diary/summary?lang=en")
    assert summary.status_code == 200
    text = re.sub(r"\s+", " ", summary.text)
    assert "Averages per 24 hours, over 3 days with notes." in text
    assert "10 times" in text  # by day
    assert "You pee more often by day than most people." in text
    assert "You drink less than the 1.5 to 2 litres a day" in text
    assert "Your largest amount is smaller than usual." in text
    assert "You leaked urine." in text
    assert "You get up at night" not in text  # one a night is usual
    dutch = client.get("/t/linde/diary/summary?lang=nl")
    assert "Je plast overdag vaker dan de meeste mensen." in dutch.text
    printed = client.get("/t/linde/diary/summary.pdf?lang=en")
    assert printed.mimetype == "application/pdf"
    assert printed.data.startswith(b"%PDF")
    assert printed.headers["Cache-Control"] == "no-store"
    # the diary over, she may start a new one
    assert "Start today" in client.get("/t/linde/diary?lang=en").text


def test_bladder_training_starts_from_her_diary(client, linde, trainee):
    trainee(urge=True)
    _start(client)
    today = her_today()
    for clock in ("07:00", "09:00", "11:00", "13:00", "15:00", "17:00", "19:00"):
        _note(client, "void", today, clock)
    page = client.get("/t/linde/bladder-training?lang=en")
    assert "You begin with every 120 minutes." in page.text
    assert "That follows from your bladder diary." in page.text
    client.post("/t/linde/bladder-training/start")
    assert (
        "Go to the toilet every 120 minutes."
        in client.get("/t/linde/bladder-training?lang=en").text
    )
