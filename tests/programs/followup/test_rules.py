"""Re-assessment scoring and the 8-week rule, branch by branch, as tables."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from pelvicoach.programs.configuration.program import Program
from pelvicoach.programs.configuration.services import build, default_program
from pelvicoach.programs.followup import rules
from pelvicoach.programs.followup.chart import bars, chart
from pelvicoach.programs.followup.rules import Severity, eight_week_rule
from pelvicoach.programs.intake.rules import AnswerError, Problem

TODAY = date(2026, 11, 26)
SETTINGS = {"alert_week": 8, "isi_minimal_change": 2, "iciq_minimal_change": 2.5}
ICIQ = Program(build({"settings": {"iciq_enabled": True, "iciq_licence_confirmed": True}}), None, 1)


def severity(isi: int, pgi: int | None = None, iciq: int | None = None) -> Severity:
    return Severity(isi=isi, iciq=iciq, pgi_i=pgi)


RULE = [
    # (why, week, baseline, latest, alert, reasons, instrument)
    ("week 4: never an alert", 4, severity(6), severity(6, 5), False, (), "isi"),
    ("week 7 still too early", 7, severity(6), severity(8, 7), False, (), "isi"),
    (
        "week 8, the same and no change felt",
        8,
        severity(6),
        severity(6, 4),
        True,
        ("severity_not_better", "pgi_not_improved"),
        "isi",
    ),
    (
        "week 8, 1 point better (below the minimal change), a little better felt",
        8,
        severity(6),
        severity(5, 3),
        True,
        ("severity_not_better", "pgi_not_improved"),
        "isi",
    ),
    (
        "week 8, 1 point better and no impression given",
        8,
        severity(6),
        severity(5),
        True,
        ("severity_not_better",),
        "isi",
    ),
    ("week 8, 2 points better and much better", 8, severity(6), severity(4, 2), False, (), "isi"),
    (
        "week 8, the same score but much better felt: a success",
        8,
        severity(9),
        severity(8, 2),
        False,
        (),
        "isi",
    ),
    (
        "week 8, moderate to slight, very much better",
        8,
        severity(3),
        severity(2, 1),
        False,
        (),
        "isi",
    ),
    (
        "week 8, better scores, a little better felt",
        8,
        severity(6),
        severity(2, 3),
        False,
        (),
        "isi",
    ),
    ("week 8, better scores, no change felt", 8, severity(6), severity(4, 4), False, (), "isi"),
    (
        "week 8, better scores but feeling worse",
        8,
        severity(6),
        severity(2, 5),
        True,
        ("pgi_not_improved",),
        "isi",
    ),
    ("week 8, dry now", 8, severity(2), severity(0, 1), False, (), "isi"),
    ("week 8, dry now, a little better felt", 8, severity(2), severity(0, 3), False, (), "isi"),
    (
        "week 8, worse",
        8,
        severity(3),
        severity(8, 6),
        True,
        ("severity_not_better", "pgi_not_improved"),
        "isi",
    ),
    (
        "week 12, still counts",
        12,
        severity(6),
        severity(6, 4),
        True,
        ("severity_not_better", "pgi_not_improved"),
        "isi",
    ),
    (
        "ICIQ on: 2 points better is below 2.5",
        8,
        severity(6, iciq=12),
        severity(2, 3, iciq=10),
        True,
        ("severity_not_better", "pgi_not_improved"),
        "iciq",
    ),
    (
        "ICIQ on: 3 points better",
        8,
        severity(6, iciq=12),
        severity(6, 4, iciq=9),
        False,
        (),
        "iciq",
    ),
    (
        "ICIQ only at the start: compare the ISI",
        8,
        severity(6, iciq=12),
        severity(4, 4),
        False,
        (),
        "isi",
    ),
]


@pytest.mark.parametrize(
    ("week", "baseline", "latest", "alert", "reasons", "instrument"),
    [case[1:] for case in RULE],
    ids=[case[0] for case in RULE],
)
def test_the_eight_week_rule(week, baseline, latest, alert, reasons, instrument):
    verdict = eight_week_rule(week, baseline, latest, SETTINGS)
    assert (verdict.alert, verdict.reasons, verdict.instrument) == (alert, reasons, instrument)


def test_the_alert_week_and_minimal_change_follow_the_program():
    settings = {**SETTINGS, "alert_week": 12, "isi_minimal_change": 1}
    assert not eight_week_rule(8, severity(6), severity(6, 4), settings).alert
    assert not eight_week_rule(12, severity(6), severity(5, 4), settings).alert
    assert eight_week_rule(12, severity(6), severity(6, 4), settings).alert


ANSWERS = {"leaked": "yes", "isi_frequency": "weekly", "isi_amount": "small", "pgi_i": "no_change"}


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (ANSWERS, Severity(isi=6, iciq=None, pgi_i=4)),
        ({"leaked": "no", "pgi_i": "very_much_better"}, Severity(isi=0, iciq=None, pgi_i=1)),
        (
            {**ANSWERS, "isi_frequency": "daily", "isi_amount": "more", "pgi_i": "much_worse"},
            Severity(isi=12, iciq=None, pgi_i=6),
        ),
    ],
)
def test_scores(answers, expected):
    program = default_program()
    assert rules.score(program, rules.check(program, answers, TODAY)) == expected


def test_dry_women_are_not_asked_the_severity_questions():
    keys = [q["key"] for q in rules.questions(default_program(), {"leaked": "no"})]
    assert keys == ["leaked", "pgi_i"]
    kept = rules.check(
        default_program(), {"leaked": "no", "isi_amount": "more", "pgi_i": "much_better"}, TODAY
    )
    assert kept == {"leaked": "no", "pgi_i": "much_better"}  # what she was not asked is dropped


def test_icic_questions_only_where_the_tenant_has_the_licence():
    plain = [q["key"] for q in rules.questions(default_program(), {"leaked": "yes"})]
    licensed = [q["key"] for q in rules.questions(ICIQ, {"leaked": "yes"})]
    assert not any(key.startswith("iciq_") for key in plain)
    assert [key for key in licensed if key.startswith("iciq_")] == [
        "iciq_frequency",
        "iciq_amount",
        "iciq_interference",
    ]
    answers = {
        **ANSWERS,
        "iciq_frequency": "daily",
        "iciq_amount": "moderate",
        "iciq_interference": "7",
    }
    kept = rules.check(ICIQ, answers, TODAY)
    assert rules.score(ICIQ, kept).iciq is not None


def test_missing_answers_are_all_listed():
    with pytest.raises(AnswerError) as refused:
        rules.check(default_program(), {"leaked": "yes"}, TODAY)
    assert refused.value.problems == {
        "isi_frequency": Problem.REQUIRED,
        "isi_amount": Problem.REQUIRED,
        "pgi_i": Problem.REQUIRED,
    }


@pytest.mark.parametrize(
    ("last", "week"),
    [
        (None, 4),  # none yet
        (4, 8),
        (8, 12),
        (9, 12),  # done a week late: the next on time, not owed again at once
        (13, 16),
        (20, 24),  # after weeks skipped: the one she did late counts, four weeks on from it
    ],
)
def test_check_ins_every_four_weeks_after_the_last(last, week):
    assert rules.due_week(last, {"reassessment_weeks": 4}) == week


def test_the_chart_puts_lower_scores_lower_and_keeps_time_order():
    drawn = chart([("start", 6), ("week 4", 4), ("week 8", 4), ("week 12", 0)], 12)
    xs = [p.x for p in drawn.points]
    ys = [p.y for p in drawn.points]
    assert xs == sorted(xs)
    assert ys[0] < ys[1] == ys[2] < ys[3]  # SVG y grows downwards: 0 is lowest
    assert ys[3] == drawn.bottom_y
    assert drawn.path.count(",") == 4


def test_check_ins_carry_a_second_line_and_the_chart_grows_to_hold_it():
    plain = chart([("start", 6), ("week 4", 4)], 12)
    noted = chart([("start", 6), ("week 4", 4)], 12, ["", "PGI-I 2"])
    assert [p.note for p in noted.points] == ["", "PGI-I 2"]
    assert noted.height > plain.height
    assert [p.y for p in noted.points] == [p.y for p in plain.points]


def test_bars_grow_with_the_count_and_the_plan_line_sits_at_its_number():
    drawn = bars([("1 jun", 0), ("8 jun", 7), ("15 jun", 14), ("22 jun", 21)], 14, every=2)
    heights = [bar.height for bar in drawn.bars]
    assert heights[0] == 0
    assert heights == sorted(heights)
    assert heights[3] == pytest.approx(3 * heights[1])
    assert drawn.target_y == drawn.bars[2].y  # 14 sets: the plan line at the third bar's top
    assert [bar.label for bar in drawn.bars] == ["1 jun", "", "15 jun", ""]
    assert drawn.ticks[-1][0] >= 21  # the axis reaches the highest bar
    xs = [bar.x for bar in drawn.bars]
    assert all(a + drawn.bars[0].width < b for a, b in itertools.pairwise(xs))
