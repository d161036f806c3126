"""The report's figures against a cohort built by hand on PostgreSQL: six groups of women whose
every count is known, first as they are and then after suppression."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from training_history import a_set

from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.configuration.services import current_version, publish
from pelvicoach.programs.enrolment.models import Consent, ConsentKind, Patient
from pelvicoach.programs.followup.models import Reassessment, Referral
from pelvicoach.programs.intake.models import Intake
from pelvicoach.programs.reminders.models import ReminderSend
from pelvicoach.programs.training.models import TrainingPlan
from pelvicoach.reporting import population
from pelvicoach.reporting.report import EVERYONE, Dim, Setting, build, publishable
from pelvicoach.tenants.staff.models import StaffProfile

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


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
    recent: tuple[int, int] = (0, 0)  # (days before NOW, sets each of those days): lately
    sends: tuple[tuple[str, int], ...] = ()  # (reminder or nudge, days after enrolment)
    team: bool = False  # her clinician is of team Noord
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
    # Reminders on days 23 (she practised the next day) and 40 (she did not); the four who
    # never started were nudged on day 10.
    Group(
        6,
        "postpartum",
        1994,
        datetime(2026, 1, 10, 9, tzinfo=UTC),
        intake=TRAINING,
        training=True,
        weeks=(4, 8, 12),
        check_ins=((8, 4, 2),),
        sends=(("reminder", 23), ("reminder", 40)),
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
        4,
        "postpartum",
        1994,
        datetime(2026, 1, 10, 9, tzinfo=UTC),
        intake=TRAINING,
        training=True,
        sends=(("nudge", 10),),
    ),
    # B: postpartum, 36, awareness work after an unsure check (advised to see a physio); their
    # clinician is of team Noord
    Group(
        12,
        "postpartum",
        1990,
        datetime(2026, 2, 15, 9, tzinfo=UTC),
        intake=outcome("awareness", "control_unsure", "urge", "slight", "unsure"),
        team=True,
    ),
    # F: postpartum, 32, training since September: six did three sets every day of the last
    # four weeks (21 a week, their plan), four one set on each of the last ten days
    Group(
        6,
        "postpartum",
        1994,
        datetime(2026, 9, 1, 9, tzinfo=UTC),
        intake=TRAINING,
        training=True,
        recent=(28, 3),
    ),
    Group(
        4,
        "postpartum",
        1994,
        datetime(2026, 9, 1, 9, tzinfo=UTC),
        intake=TRAINING,
        training=True,
        recent=(10, 1),
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
    noord = make_user(linde, "noord@delinde.example", "clinician")
    with tenant_context(linde.id, db.session):
        db.session.add(StaffProfile(tenant_id=linde.id, user_id=noord.id, team="Noord"))
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
                    clinician_id=noord.id if group.team else None,
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
                                (group.enrolled + timedelta(days=3)).date()
                                if group.weeks
                                else (NOW - timedelta(days=group.recent[0])).date()
                                if group.recent[0]
                                else None
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
                # Sent before her sets arrive: the database marks a message answered as the
                # days of her sets come in (dispatch stores her day, as here)
                for kind, day in group.sends:
                    sent = group.enrolled + timedelta(days=day)
                    db.session.add(
                        ReminderSend(
                            tenant_id=linde.id,
                            patient_id=woman.id,
                            kind=kind,
                            slot=f"{kind}:{day}",
                            created_at=sent,
                            sent_at=sent,
                            day=sent.astimezone(AMSTERDAM).date(),
                        )
                    )
                db.session.flush()
                for week in group.weeks:
                    when = group.enrolled + timedelta(weeks=week - 1, days=3)
                    db.session.add(a_set(linde.id, woman.id, when))
                days, sets = group.recent
                for back in range(1, days + 1):
                    for _ in range(sets):
                        db.session.add(a_set(linde.id, woman.id, NOW - timedelta(days=back)))
                db.session.commit()
    with tenant_context(linde.id, db.session):
        return population.gather(linde.id, "Europe/Amsterdam", NOW)


def counts(report, key):
    return [row.count for row in report.tables[key].rows]


def test_every_figure_as_built(cohort):
    report = build(cohort, EVERYONE, k=0)  # nothing suppressed: the figures as they are
    assert report.tables["funnel"].total == 60
    assert counts(report, "funnel") == [10, 3, 0, 23, 24]  # invited, registered, consented, ...
    assert report.reached == [60, 50, 47, 47, 24]
    assert report.tables["type"].total == 47
    assert counts(report, "type") == [24, 12, 11, 0, 0]  # stress, urge, mixed, other, none
    assert counts(report, "severity") == [0, 12, 24, 11, 0]
    assert counts(report, "control") == [24, 12, 11]  # sufficient, unsure, insufficient
    assert counts(report, "red_flag") == [11, 36]
    assert counts(report, "route") == [11, 0, 0, 12, 24]  # GP, physio, wait, awareness, training
    # much better, not much better, no answer, not yet (never started, or started lately)
    assert counts(report, "pgi_8") == [6, 0, 4, 14]
    assert counts(report, "pgi_12") == [0, 0, 10, 14]
    assert counts(report, "change_8") == [6, 0, 0, 4, 14]  # better, same, worse, ...
    assert counts(report, "change_12") == [0, 0, 0, 10, 14]
    assert report.tables["pgi_8"].total == 24
    # not advised, advised only, said she would go, went
    assert counts(report, "referral") == [37, 18, 2, 3]
    assert report.tables["referral_reason"].total == 5
    # a red flag, no improvement, control, a tear, leaking of another type, her own request
    assert counts(report, "referral_reason") == [5, 0, 0, 0, 0, 0]
    assert counts(report, "referral_kind") == [5, 0, 0, 0, 0]  # all to a GP
    months = {row.category: row.count for row in report.months.rows}
    assert months["2025-11"] == 11
    assert months["2026-01"] == 14
    assert months["2026-02"] == 12
    assert months["2026-03"] == 13
    assert months["2026-09"] == 10
    assert months["2025-12"] == 0
    assert report.options[Dim.PERIOD] == ["2025", "2026"]
    assert report.options[Dim.VERSION] == ["1"]
    assert report.options[Dim.TEAM] == ["Noord", ""]

    menopause = build(cohort, Setting(Dim.COHORT, "menopause"), k=0)
    assert menopause.tables["funnel"].total == 11
    assert counts(menopause, "route") == [11, 0, 0, 0, 0]
    young = build(cohort, Setting(Dim.AGE, "<30"), k=0)
    assert counts(young, "funnel") == [0, 3, 0, 0, 0]
    last_year = build(cohort, Setting(Dim.PERIOD, "2025"), k=0)
    assert [row.category for row in last_year.months.rows] == ["2025-11", "2025-12"]
    assert last_year.tables["funnel"].total == 11
    noord = build(cohort, Setting(Dim.TEAM, "Noord"), k=0)
    assert counts(noord, "funnel") == [0, 0, 0, 12, 0]
    assert build(cohort, Setting(Dim.TEAM, ""), k=0).tables["funnel"].total == 48


def test_adherence_as_built(cohort):
    report = build(cohort, EVERYONE, k=0)
    # The last four weeks: A did nothing, F's six three sets a day, F's four ten sets
    assert counts(report, "sets_week") == [14, 4, 0, 0, 6, 0]  # 0, 1-6, 7-13, 14-20, 21+, -
    assert counts(report, "plan") == [6, 18, 0]  # meets, below, not yet
    # Weeks since enrolment (practised, did not, not ended): A's ten in weeks 4, 8 and 12;
    # F's six in weeks 8 to 11, F's four in week 11; F's week 12 has not ended
    # (weeks 1 to 7 have ended for every month there are women of: no "not yet" by the calendar)
    expected = {week: [0, 24] for week in range(1, 8)}
    expected |= {4: [10, 14], 8: [16, 8, 0], 9: [6, 18, 0], 10: [6, 18, 0], 11: [10, 14, 0]}
    expected[12] = [10, 4, 10]
    for week, figures in expected.items():
        assert counts(report, f"active_{week}") == figures, week
    assert report.tables["active_12"].total == 24
    # By month of enrolment: January's fourteen and September's ten
    assert report.curve["2026-01"][4].total == 14
    # (the calendar leaves January no "not yet", and September's week 12 nothing else)
    assert [row.count for row in report.curve["2026-01"][12].rows] == [10, 4]
    assert [(row.category, row.count) for row in report.curve["2026-09"][12].rows] == [
        ("not_yet", 10)
    ]
    assert [row.count for row in report.curve["2026-09"][11].rows] == [10, 0, 0]
    assert report.curve["2026-02"][1].total == 0
    # Under a filter: weeks 4, 8 and 12 only, and no curve by month
    postpartum = build(cohort, Setting(Dim.COHORT, "postpartum"), k=0)
    assert counts(postpartum, "active_8") == [16, 8, 0]
    assert counts(postpartum, "active_4") == [10, 14]
    assert "active_5" not in postpartum.tables
    assert postpartum.curve == {}
    assert next(iter(build(cohort, Setting(Dim.PERIOD, "2026"), k=0).curve)) == "2026-01"
    # Twelve reminders to six women, six followed by a set the next day; four nudges, none
    assert counts(report, "sends_reminder") == [6, 6]  # returned, did not
    assert report.tables["sends_reminder"].total == 12
    assert counts(report, "reached_reminder") == [6]
    assert counts(report, "sends_nudge") == [0, 4]
    assert counts(report, "reached_nudge") == [4]


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
    assert report.tables["funnel"].total == 60
    assert report.reached[0] == 60
    # Messages to fewer than ten women stay hidden, however many messages there were
    assert report.tables["sends_reminder"].total is None
    assert set(counts(report, "sends_reminder")) == {None}
    young = build(cohort, Setting(Dim.AGE, "<30"), k=10)  # the 3 registered women under 30
    assert young.tables["funnel"].total is None
    assert set(counts(young, "funnel")) == {None}
