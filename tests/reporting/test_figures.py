"""The report's figures against a cohort built by hand on PostgreSQL: five groups of women whose
every count is known, first as they are and then after suppression."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from training_history import a_set

from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.configuration.services import current_version, publish
from pelvicoach.programs.enrolment.models import Consent, ConsentKind, Patient
from pelvicoach.programs.followup.models import Reassessment, Referral
from pelvicoach.programs.intake.models import Intake
from pelvicoach.programs.training.models import TrainingPlan
from pelvicoach.reporting import population
from pelvicoach.reporting.report import EVERYONE, Dim, Setting, build, publishable

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Group:
    size: int
    cohort: str
    born: int
    enrolled: datetime
    registered: bool = True
    consented: bool = True
    intake: dict | None = None  # route, rule, and the scores that matter
    training: bool = False
    weeks: tuple[int, ...] = ()  # the weeks since enrolment in which she logged a set
    check_ins: tuple[tuple[int, int, int], ...] = ()  # (practice week, ISI, PGI-I)
    referral: tuple[str, str, bool | None] | None = None  # reason, kind of care, attended


def outcome(route, rule, kind, severity, control, isi=6) -> dict:
    return {
        "route": route,
        "rule": rule,
        "scores": {
            "incontinence_type": kind,
            "isi": isi,
            "isi_severity": severity,
            "control": control,
        },
    }


TRAINING = outcome("training", "training", "stress", "moderate", "sufficient")
RED_FLAG = outcome("see_gp", "red_flag", "mixed", "severe", "insufficient", isi=8)


GROUPS = (
    # A: postpartum, 32 at enrolment, training; ten practised in weeks 4, 8 and 12 (six of them
    # answered the week-8 check-in: much better, ISI 6 -> 4), four never started
    Group(
        6,
        "postpartum",
        1994,
        datetime(2026, 1, 10, 9, tzinfo=UTC),
        intake=TRAINING,
        training=True,
        weeks=(4, 8, 12),
        check_ins=((8, 4, 2),),
    ),
    Group(
        4,
        "postpartum",
        1994,
        datetime(2026, 1, 10, 9, tzinfo=UTC),
        intake=TRAINING,
        training=True,
        weeks=(4, 8, 12),
    ),
    Group(
        4, "postpartum", 1994, datetime(2026, 1, 10, 9, tzinfo=UTC), intake=TRAINING, training=True
    ),
    # B: postpartum, 36, awareness work after an unsure check (advised to see a physio)
    Group(
        12,
        "postpartum",
        1990,
        datetime(2026, 2, 15, 9, tzinfo=UTC),
        intake=outcome("awareness", "control_unsure", "urge", "slight", "unsure"),
    ),
    # C: menopause, 53, a red flag: to her GP; five said they would go, three went
    Group(
        3,
        "menopause",
        1972,
        datetime(2025, 11, 20, 9, tzinfo=UTC),
        intake=RED_FLAG,
        referral=("red_flag", "gp", True),
    ),
    Group(
        2,
        "menopause",
        1972,
        datetime(2025, 11, 20, 9, tzinfo=UTC),
        intake=RED_FLAG,
        referral=("red_flag", "gp", None),
    ),
    Group(6, "menopause", 1972, datetime(2025, 11, 20, 9, tzinfo=UTC), intake=RED_FLAG),
    # D: registered, no consent yet; E: invited only
    Group(3, "postpartum", 1999, datetime(2026, 3, 5, 9, tzinfo=UTC), consented=False),
    Group(
        10,
        "postpartum",
        1994,
        datetime(2026, 3, 5, 9, tzinfo=UTC),
        registered=False,
        consented=False,
    ),
)


@pytest.fixture
def cohort(make_tenant, make_user, db):
    linde = make_tenant("linde")
    with tenant_context(linde.id, db.session):
        publish(linde.id, {})
        version = current_version(linde.id)
        db.session.commit()
    number = 0
    for group in GROUPS:
        for _ in range(group.size):
            number += 1
            user = (
                make_user(linde, f"vrouw{number}@example.nl", "patient")
                if group.registered
                else None
            )
            with tenant_context(linde.id, db.session):
                woman = Patient(
                    tenant_id=linde.id,
                    user_id=user.id if user else None,
                    pseudonym=f"PF{number:07d}",
                    cohort=group.cohort,
                    birth_year=group.born,
                    enrolled_at=group.enrolled,
                    program_version_id=version.id,
                )
                db.session.add(woman)
                db.session.flush()
                if group.consented:
                    db.session.add(
                        Consent(
                            tenant_id=linde.id,
                            patient_id=woman.id,
                            kind=ConsentKind.HEALTH_DATA,
                            version="1",
                            given_at=group.enrolled,
                        )
                    )
                if group.intake:
                    done = group.enrolled + timedelta(days=2)
                    db.session.add(
                        Intake(
                            tenant_id=linde.id,
                            patient_id=woman.id,
                            cohort=group.cohort,
                            answers={},
                            started_at=done,
                            updated_at=done,
                            completed_at=done,
                            route=group.intake["route"],
                            rule=group.intake["rule"],
                            scores=group.intake["scores"],
                        )
                    )
                if group.training:
                    db.session.add(
                        TrainingPlan(
                            tenant_id=linde.id,
                            patient_id=woman.id,
                            level_since=group.enrolled,
                            updated_at=group.enrolled,
                            practice_started_on=(
                                (group.enrolled + timedelta(days=3)).date() if group.weeks else None
                            ),
                        )
                    )
                for week, isi, pgi in group.check_ins:
                    db.session.add(
                        Reassessment(
                            tenant_id=linde.id,
                            patient_id=woman.id,
                            practice_week=week,
                            answers={},
                            isi=isi,
                            pgi_i=pgi,
                            completed_at=group.enrolled + timedelta(weeks=week, days=3),
                        )
                    )
                if group.referral:
                    reason, kind, attended = group.referral
                    db.session.add(
                        Referral(
                            tenant_id=linde.id,
                            patient_id=woman.id,
                            reason=reason,
                            care_kind=kind,
                            confirmed_at=group.enrolled + timedelta(days=4),
                            attended=attended,
                        )
                    )
                for week in group.weeks:
                    when = group.enrolled + timedelta(weeks=week - 1, days=3)
                    db.session.add(a_set(linde.id, woman.id, when))
                db.session.commit()
    with tenant_context(linde.id, db.session):
        women = population.women(linde.id, "Europe/Amsterdam", NOW)
    return women


def counts(report, key):
    return [row.count for row in report.tables[key].rows]


def test_every_figure_as_built(cohort):
    report = build(cohort, EVERYONE, k=0)  # nothing suppressed: the figures as they are
    assert report.tables["funnel"].total == 50
    assert counts(report, "funnel") == [10, 3, 0, 23, 14]  # invited, registered, consented, ...
    assert report.reached == [50, 40, 37, 37, 14]
    # Weeks 4, 8 and 12 since enrolment have all passed for group A: ten active, four not
    for week in (4, 8, 12):
        assert counts(report, f"active_{week}") == [10, 4, 0]
    assert report.tables["type"].total == 37
    assert counts(report, "type") == [14, 12, 11, 0, 0]  # stress, urge, mixed, other, none
    assert counts(report, "severity") == [0, 12, 14, 11, 0]
    assert counts(report, "control") == [14, 12, 11]  # sufficient, unsure, insufficient
    assert counts(report, "red_flag") == [11, 26]
    assert counts(report, "route") == [11, 0, 0, 12, 14]  # GP, physio, wait, awareness, training
    # much better, not much better, no answer, not yet (never started practising)
    assert counts(report, "pgi_8") == [6, 0, 4, 4]
    assert counts(report, "pgi_12") == [0, 0, 10, 4]
    assert counts(report, "change_8") == [6, 0, 0, 4, 4]  # better, same, worse, ...
    assert counts(report, "change_12") == [0, 0, 0, 10, 4]
    assert report.tables["pgi_8"].total == 14
    # not advised, advised only, said she would go, went
    assert counts(report, "referral") == [27, 18, 2, 3]
    assert report.tables["referral_reason"].total == 5
    assert counts(report, "referral_reason") == [5, 0, 0, 0, 0]
    assert counts(report, "referral_kind") == [5, 0, 0, 0, 0]  # all to a GP
    months = {row.category: row.count for row in report.months.rows}
    assert months["2025-11"] == 11
    assert months["2026-01"] == 14
    assert months["2026-02"] == 12
    assert months["2026-03"] == 13
    assert months["2025-12"] == 0
    assert report.options[Dim.PERIOD] == ["2025", "2026"]
    assert report.options[Dim.VERSION] == ["1"]

    menopause = build(cohort, Setting(Dim.COHORT, "menopause"), k=0)
    assert menopause.tables["funnel"].total == 11
    assert counts(menopause, "route") == [11, 0, 0, 0, 0]
    young = build(cohort, Setting(Dim.AGE, "<30"), k=0)
    assert counts(young, "funnel") == [0, 3, 0, 0, 0]
    last_year = build(cohort, Setting(Dim.PERIOD, "2025"), k=0)
    assert [row.category for row in last_year.months.rows] == ["2025-11", "2025-12"]
    assert last_year.tables["funnel"].total == 11


SETTINGS = (
    EVERYONE,
    Setting(Dim.COHORT, "postpartum"),
    Setting(Dim.COHORT, "menopause"),
    Setting(Dim.AGE, "<30"),
    Setting(Dim.AGE, "30-34"),
    Setting(Dim.PERIOD, "2025"),
    Setting(Dim.PERIOD, "2026"),
    Setting(Dim.VERSION, "1"),
)


def test_suppression_shows_true_figures_and_hides_every_small_one(cohort):
    true, shown = publishable(cohort, 0), publishable(cohort, 10)
    assert set(true.counts) == set(shown.counts)
    for key, real in true.counts.items():
        published = shown.counts[key]
        assert published in (None, real), key  # what shows is the true figure
        if real < 10:
            assert published is None, key
    for setting in SETTINGS:  # and each setting's report reads them
        report, raw = shown.report(setting), true.report(setting)
        for key, table in report.tables.items():
            for row, real in zip(table.rows, raw.tables[key].rows, strict=True):
                assert row.count in (None, real.count)


def test_the_small_groups_of_the_cohort_are_hidden(cohort):
    report = build(cohort, EVERYONE, k=10)
    assert counts(report, "funnel")[1:3] == [None, None]  # 3 registered only, 0 consented only
    assert report.tables["funnel"].total == 50
    assert report.reached[0] == 50
    young = build(cohort, Setting(Dim.AGE, "<30"), k=10)  # the 3 registered women under 30
    assert young.tables["funnel"].total is None
    assert set(counts(young, "funnel")) == {None}
