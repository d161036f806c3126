"""The admin's program editor and the program API: field-level errors and nothing saved on bad
input, a draft that is only what differs, publish (patients now or later), compare, roll back."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.configuration import overrides
from pelvicoach.programs.configuration.models import ProgramDraft, ProgramVersion
from pelvicoach.programs.configuration.services import build, publish
from pelvicoach.programs.content import default_document
from pelvicoach.programs.enrolment.models import Patient


def test_difference_is_the_smallest_override_that_gives_the_document():
    base = build()
    assert overrides.difference(base, base) is None
    edited = copy.deepcopy(base)
    edited["levels"][1]["hold_seconds"] = 9
    edited["modules"][0]["enabled"] = False
    edited["settings"]["alert_week"] = 10
    edited["settings"]["cohorts"] = ["postpartum"]
    changes = overrides.difference(base, edited)
    assert changes == {
        "settings": {"alert_week": 10, "cohorts": ["postpartum"]},
        "modules": [{"key": base["modules"][0]["key"], "enabled": False}],
        "levels": [{"level": 2, "hold_seconds": 9}],
    }
    assert overrides.apply(base, changes) == edited


def _form(document: dict, **values: object) -> dict[str, object]:
    """The editor's form as the browser sends it, with `values` changed."""
    settings = document["settings"]
    form: dict[str, object] = {
        "cohorts": settings["cohorts"],
        "reminder_weekdays": [str(day) for day in settings["reminder_weekdays"]],
        **{f"reminder_time_{n + 1}": t for n, t in enumerate(settings["reminder_times"])},
        **{
            name: settings[name]
            for name in (
                "early_postpartum_weeks",
                "training_days_needed",
                "training_window_days",
                "too_hard_repeats",
                "levels_ahead",
                "reassessment_weeks",
                "alert_week",
            )
        },
    }
    for module in document["modules"]:
        if module["enabled"]:
            form[f"module_{module['key']}"] = "y"
    for level in document["levels"]:
        for name in ("hold_seconds", "rest_seconds", "repetitions", "sets", "quick_contractions"):
            form[f"level_{level['level']}_{name}"] = level[name]
    for key, value in values.items():
        if value is None:
            form.pop(key, None)
        else:
            form[key] = value
    return form


@pytest.fixture
def admin(client, make_tenant, make_user, sign_in_staff, db):
    tenant = make_tenant("linde")
    sign_in_staff("linde", make_user(tenant, "admin@linde.nl", "admin"))
    with tenant_context(tenant.id, db.session):
        publish(tenant.id, {}, note="start")
        db.session.commit()
    return tenant


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"level_1_hold_seconds": 0}, "level_1_hold_seconds"),
        ({"level_3_hold_seconds": 500}, "level_3_hold_seconds"),
        ({"level_2_repetitions": 21}, "level_2_repetitions"),
        ({"level_2_hold_seconds": 8}, "level_2_rest_seconds"),  # rest at least the hold
        ({"level_2_sets": 5}, "level_2_sets"),  # up to 3 a day
        ({"alert_week": 0}, "alert_week"),
        ({"training_days_needed": 9, "training_window_days": 7}, "training_days_needed"),
        ({"iciq_enabled": "y"}, "iciq_enabled"),  # no licence confirmed
        ({"cohorts": None}, "cohorts-0"),
        ({"reminder_time_1": "03:00"}, "reminder_time_1"),
    ],
)
def test_bad_values_are_refused_at_their_field_and_nothing_is_saved(
    client, admin, db, values, field
):
    response = client.post("/t/linde/admin/program/edit", data=_form(build(), **values))
    assert response.status_code == 422
    assert f'id="{field}"' in response.text
    assert "is-invalid" in response.text
    assert db.session.scalar(select(ProgramDraft)) is None


def test_publish_moves_patients_now_then_compare_and_roll_back(
    app, client, admin, db, make_patient
):
    patient = make_patient(admin, "sanne@example.nl", phase="training")
    with tenant_context(admin.id, db.session):
        first = db.session.scalar(select(ProgramVersion).where(ProgramVersion.number == 1))
        db.session.get(Patient, patient.id).program_version_id = first.id
        db.session.commit()
    document = build()
    menopause = next(
        m for m in document["modules"] if "menopause" in m["cohorts"] and len(m["cohorts"]) == 1
    )
    saved = client.post(
        "/t/linde/admin/program/edit",
        data=_form(
            document, level_2_hold_seconds=6, alert_week=10, **{f"module_{menopause['key']}": None}
        ),
    )
    assert saved.status_code == 302, saved.text
    draft = db.session.scalar(select(ProgramDraft))
    assert draft.overrides == {
        "settings": {"alert_week": 10},
        "modules": [{"key": menopause["key"], "enabled": False}],
        "levels": [{"level": 2, "hold_seconds": 6}],
    }
    overview = client.get("/t/linde/admin/program/").text
    assert "levels › level 2 › hold seconds" in overview
    published = client.post(
        "/t/linde/admin/program/publish", data={"note": "langer vasthouden", "move": "now"}
    )
    assert published.status_code == 302
    second = db.session.scalar(select(ProgramVersion).where(ProgramVersion.number == 2))
    assert second.document["levels"][1]["hold_seconds"] == 6
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).program_version_id == second.id
    assert db.session.scalar(select(ProgramDraft)) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "program.published"))
    assert event.detail["before"] == {"version": 1}
    assert event.detail["after"] == {"version": 2, "patients_moved": 1}
    assert ["levels › level 2 › hold seconds", 4, 6] in event.detail["changes"]

    compared = client.get("/t/linde/admin/program/compare?a=1&b=2")
    assert compared.status_code == 200
    assert "alert week" in compared.text
    for missing in ("a=1&b=9", "a=1&b=99999999999", "a=\u00b2&b=1", "a=-1&b=2"):
        assert client.get(f"/t/linde/admin/program/compare?{missing}").status_code == 404

    rolled = client.post("/t/linde/admin/program/versions/1/rollback", data={"move": "later"})
    assert rolled.status_code == 302
    third = db.session.scalar(select(ProgramVersion).where(ProgramVersion.number == 3))
    assert third.document == first.document
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).program_version_id == second.id  # moves later
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "program.rolled_back"))
    assert event.detail["after"]["copy_of"] == 1


def test_a_module_switched_off_leaves_her_learn_page(client, admin, db, make_patient, app):
    document = build()
    module = document["modules"][0]
    with tenant_context(admin.id, db.session):
        publish(admin.id, {"modules": [{"key": module["key"], "enabled": False}]})
        db.session.commit()
    make_patient(admin, "sanne@example.nl", phase="information")
    patient = app.test_client()
    patient.post(
        "/t/linde/login",
        data={"email": "sanne@example.nl", "password": "correct-horse-battery-staple"},
    )
    page = patient.get("/t/linde/learn").text
    assert module["title"]["nl"] not in page
    assert document["modules"][1]["title"]["nl"] in page


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_the_program_through_the_api(client, make_tenant, key_for, db):
    tenant = make_tenant("linde")
    writer = key_for(tenant, "program:write")
    reader = key_for(tenant, "reports:read")
    got = client.get("/t/linde/api/v1/program", headers=bearer(reader))
    assert got.status_code == 200
    assert got.json["version"] == 0
    assert got.json["document"]["levels"][0]["level"] == 1
    change = {"changes": {"levels": [{"level": 1, "hold_seconds": 5}]}, "note": "as code"}
    assert (
        client.put("/t/linde/api/v1/program", json=change, headers=bearer(reader)).status_code
        == 403
    )
    for bad, where in (
        ({"changes": {"levels": [{"level": 1, "hold_seconds": 0}]}}, "changes"),
        ({"changes": {"levels": [{"level": 1, "hold_seconds": 500}]}}, "changes"),
        ({"changes": {"colour_scheme": "pink"}}, "changes"),  # an unknown field
        ({"changes": {}, "extra": 1}, "extra"),
        ({"changes": {"levels": [{"level": [1]}]}}, "changes"),
    ):
        refused = client.put("/t/linde/api/v1/program", json=bad, headers=bearer(writer))
        assert refused.status_code == 422, bad
        assert refused.mimetype == "application/problem+json"
        assert where in refused.json["errors"]
    assert db.session.scalar(select(ProgramVersion)) is None  # nothing published
    done = client.put("/t/linde/api/v1/program", json=change, headers=bearer(writer))
    assert done.json == {"version": 1, "new": True, "patients_moved": 0}
    again = client.get("/t/linde/api/v1/program", headers=bearer(reader)).json
    assert again["changes"] == {"levels": [{"level": 1, "hold_seconds": 5}]}
    assert again["document"]["levels"][0]["hold_seconds"] == 5
    same = client.put("/t/linde/api/v1/program", json=change, headers=bearer(writer))
    assert same.json["new"] is False
    spec = client.get("/t/linde/api/v1/openapi.json").json
    assert {"get", "put"} <= set(spec["paths"]["/api/v1/program"])


def test_default_document_is_untouched_by_the_editor():
    assert default_document()["levels"][1]["hold_seconds"] == 4
