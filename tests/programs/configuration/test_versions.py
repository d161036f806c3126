"""Program versions: validated, immutable documents derived from the default; patients pinned."""

from __future__ import annotations

import copy
import json

import pytest
from marshmallow import ValidationError
from sqlalchemy import text

from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.configuration import overrides
from pelvicoach.programs.configuration.services import (
    build,
    default_program,
    publish,
    start_phase,
    version_for,
)
from pelvicoach.programs.content import default_document
from pelvicoach.programs.enrolment.models import Phase


def test_the_default_program_is_valid_and_has_both_cohorts():
    program = default_program()
    assert {m["key"] for m in program.modules("postpartum")} >= {
        "how-it-works",
        "toilet-habits",
        "anatomy",
    }
    assert "menopause" in {m["key"] for m in program.modules("menopause")}
    assert "menopause" not in {m["key"] for m in program.modules("postpartum")}
    assert len(program.exercises) >= 4
    assert len(program.levels) == 12


def test_overrides_change_one_item_and_keep_the_rest():
    base = default_document()
    changed = overrides.apply(
        base,
        {
            "levels": [{"level": 2, "hold_seconds": 4}],
            "modules": [{"key": "anatomy", "title": {"nl": "Zo zit het", "en": "How it is"}}],
            "settings": {"control_recheck_days": 21},
        },
    )
    assert changed["levels"][1]["hold_seconds"] == 4
    assert changed["levels"][1]["repetitions"] == base["levels"][1]["repetitions"]
    assert changed["levels"][0] == base["levels"][0]
    anatomy = next(m for m in changed["modules"] if m["key"] == "anatomy")
    assert anatomy["title"]["nl"] == "Zo zit het"
    assert (
        anatomy["sections"] == next(m for m in base["modules"] if m["key"] == "anatomy")["sections"]
    )
    assert (
        changed["settings"]["early_postpartum_weeks"] == base["settings"]["early_postpartum_weeks"]
    )
    assert base == default_document()  # the base is not changed in place


INVALID = [
    ("iciq without licence", {"settings": {"iciq_enabled": True}}, "settings"),
    ("text without English", {"disclaimer": {"nl": "Alleen Nederlands", "en": ""}}, "disclaimer"),
    (
        "unknown cue",
        {
            "exercises": [
                {"key": "breathing", "timing": {"pattern": [{"cue": "sing", "seconds": 3}]}}
            ]
        },
        "exercises",
    ),
    (
        "too short segment",
        {
            "exercises": [
                {"key": "breathing", "timing": {"pattern": [{"cue": "squeeze", "seconds": 1}]}}
            ]
        },
        "exercises",
    ),
    (
        "missing illustration",
        {"modules": [{"key": "anatomy", "illustration": "nope.svg"}]},
        "modules",
    ),
    (
        "a rule's question changed",
        {"questions": [{"key": "leaked", "kind": "multi"}]},
        "questions",
    ),
    (
        "levels out of order",
        {
            "levels": [
                {
                    "level": 14,
                    "name": {"nl": "x", "en": "x"},
                    "hold_seconds": 3,
                    "rest_seconds": 3,
                    "repetitions": 8,
                    "sets": 3,
                    "quick_contractions": 0,
                }
            ]
        },
        "levels",
    ),
    ("unknown field", {"settings": {"colour": "red"}}, "settings"),
    ("more days needed than looked at", {"settings": {"training_days_needed": 8}}, "settings"),
    ("bladder goal below the start", {"settings": {"bladder_goal_minutes": 45}}, "settings"),
    ("unknown guidance", {"guidance": {"cheer": {"title": {}, "text": {}}}}, "guidance"),
    # The clinical rules of the design are not a tenant's to switch off.
    (
        "a red flag no longer one",
        {"questions": [{"key": "red_flags", "options": [{"value": "bulge", "red_flag": False}]}]},
        "questions",
    ),
    (
        "a severe tear no longer severe",
        {"questions": [{"key": "tear_grade", "options": [{"value": "severe", "severe": False}]}]},
        "questions",
    ),
    (
        "the ISI rescored",
        {"questions": [{"key": "isi_amount", "options": [{"value": "more", "score": 5}]}]},
        "questions",
    ),
    (
        "the ICIQ rescored",
        {"questions": [{"key": "iciq_frequency", "options": [{"value": "always", "score": 4}]}]},
        "questions",
    ),
    (
        "an answer raising a red flag that is none",
        {"questions": [{"key": "leaked", "options": [{"value": "yes", "raises": "headache"}]}]},
        "questions",
    ),
    ("no early weeks after the birth", {"settings": {"early_postpartum_weeks": 0}}, "settings"),
    ("severe only when very severe", {"settings": {"severe_isi_min": 12}}, "settings"),
]


def test_a_tenant_may_word_the_red_flags_add_its_own_and_be_more_careful():
    document = build(
        {
            "settings": {"early_postpartum_weeks": 8, "severe_isi_min": 6},
            "questions": [
                {
                    "key": "red_flags",
                    "options": [
                        {"value": "bulge", "label": {"nl": "Een bobbel", "en": "A bulge"}},
                        {
                            "value": "fever",
                            "label": {"nl": "Koorts", "en": "A fever"},
                            "red_flag": True,
                        },
                    ],
                }
            ],
        }
    )
    flags = next(q for q in document["questions"] if q["key"] == "red_flags")["options"]
    assert {o["value"] for o in flags if o.get("red_flag")} >= {"bulge", "fever"}


@pytest.mark.parametrize(
    ("changes", "field"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_invalid_programs_are_refused_with_the_field(changes, field):
    with pytest.raises(ValidationError) as refused:
        build(changes)
    assert field in refused.value.messages


def test_publishing_numbers_versions_and_skips_unchanged(db, make_tenant):
    tenant = make_tenant("linde")
    with tenant_context(tenant.id, db.session):
        assert publish(tenant.id, {}) == (1, True)
        assert publish(tenant.id, {}) == (1, False)
        change = {"settings": {"control_recheck_days": 21}}
        assert publish(tenant.id, change, note="later check") == (2, True)
        with pytest.raises(ValidationError):
            publish(tenant.id, {"settings": {"control_recheck_days": 0}})
        db.session.commit()
        rows = db.session.execute(
            text("SELECT number, note FROM program_versions ORDER BY number")
        ).all()
    assert [tuple(r) for r in rows] == [(1, ""), (2, "later check")]


def test_a_patient_keeps_the_version_she_started_her_phase_under(db, make_tenant, make_patient):
    tenant = make_tenant("linde")
    patient = make_patient(tenant, "anna@example.org")
    with tenant_context(tenant.id, db.session):
        assert version_for(patient).number == 0  # nothing published: the default
        publish(tenant.id, {"settings": {"control_recheck_days": 10}})
        assert version_for(patient).number == 1  # not pinned yet: the tenant's current one
        start_phase(patient, Phase.AWARENESS)
        publish(tenant.id, {"settings": {"control_recheck_days": 20}})
        db.session.commit()
        pinned = version_for(patient)
        assert (pinned.number, pinned.settings["control_recheck_days"]) == (1, 10)
        start_phase(patient, Phase.INTAKE)
        moved = version_for(patient)
        assert (moved.number, moved.settings["control_recheck_days"]) == (2, 20)


def test_published_versions_cannot_be_changed_or_removed_by_the_app(app, db, make_tenant):
    from pelvicoach.platform.extensions import db as database

    tenant = make_tenant("linde")
    with tenant_context(tenant.id, db.session):
        publish(tenant.id, {})
        db.session.commit()
    with app.app_context(), tenant_context(tenant.id, database.session):
        for statement in (
            "UPDATE program_versions SET note = 'edited'",
            "DELETE FROM program_versions",
        ):
            with pytest.raises(Exception, match="permission denied"):
                database.session.execute(text(statement))
            database.session.rollback()


def test_the_cli_publishes_from_a_file_and_refuses_an_invalid_one(cli, make_tenant, tmp_path):
    make_tenant("linde")
    good = tmp_path / "linde.toml"
    good.write_text("[settings]\ncontrol_recheck_days = 21\n")
    result = cli("program", "publish", "linde", str(good), "--note", "first")
    assert result.exit_code == 0, result.output
    assert "version 1 published" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"settings": {"iciq_enabled": True}}))
    result = cli("program", "publish", "linde", str(bad))
    assert result.exit_code != 0
    assert "licence" in result.output
    listed = cli("program", "versions", "linde")
    assert "first" in listed.output
    assert len([line for line in listed.output.splitlines() if line.strip()]) == 1


def test_the_document_is_json_and_survives_a_round_trip():
    document = build()
    assert json.loads(json.dumps(document)) == copy.deepcopy(document)


def test_a_version_published_before_a_setting_existed_follows_the_default_for_it(db, make_tenant):
    """Older documents lack later settings and texts: they get the default's, nothing else
    changes, and no module or level is added to them."""
    from datetime import UTC, datetime

    from pelvicoach.programs.configuration.models import ProgramVersion
    from pelvicoach.programs.configuration.services import tenant_program

    tenant = make_tenant("linde")
    older = copy.deepcopy(default_program().document)
    older["settings"] = {**older["settings"], "control_recheck_days": 10}
    del older["settings"]["training_days_needed"], older["guidance"], older["cues"]["quick"]
    older["modules"] = older["modules"][:1]
    with tenant_context(tenant.id, db.session):
        db.session.add(
            ProgramVersion(
                tenant_id=tenant.id,
                number=1,
                document=older,
                overrides={},
                digest="older-" + "0" * 58,
                note="",
                published_at=datetime.now(UTC),
            )
        )
        db.session.commit()
        program = tenant_program(tenant.id)
    assert program.number == 1
    assert program.settings["control_recheck_days"] == 10
    assert program.settings["training_days_needed"] == 5
    assert program.guidance("move_up") == default_program().guidance("move_up")
    assert program.cues["quick"] == default_program().cues["quick"]
    assert [m["key"] for m in program.document["modules"]] == [older["modules"][0]["key"]]
    assert "training_days_needed" not in older["settings"]  # the stored one is not changed
