"""The intake's scoring and routing, branch by branch, as tables: pure functions, no database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from intake_answers import CLEAR, STRESS
from intake_answers import postpartum as answers_after_birth

from pelvicoach.programs.configuration.program import Program
from pelvicoach.programs.configuration.services import build, default_program
from pelvicoach.programs.intake import rules
from pelvicoach.programs.intake.rules import AnswerError, Problem, Route

TODAY = date(2026, 11, 26)


def postpartum(weeks: int, **answers):
    return answers_after_birth(weeks, TODAY, **answers)


def menopause(**answers):
    return {"red_flags": ["none"], **STRESS, **CLEAR, **answers}


ROUTES = [
    # (case, cohort, answers, route, rule, bladder training)
    (
        "red flag",
        "postpartum",
        postpartum(12, red_flags=["blood_in_urine"]),
        "see_gp",
        "red_flag",
        False,
    ),
    (
        "red flags before a severe tear",
        "postpartum",
        postpartum(12, red_flags=["bulge", "bowel"], tear_grade="severe"),
        "see_gp",
        "red_flag",
        False,
    ),
    (
        "red flag before the early weeks",
        "postpartum",
        postpartum(2, red_flags=["neurological"]),
        "see_gp",
        "red_flag",
        False,
    ),
    (
        "third/fourth degree tear",
        "postpartum",
        postpartum(20, tear_grade="severe"),
        "physio",
        "severe_tear",
        False,
    ),
    (
        "severe tear within 6 weeks",
        "postpartum",
        postpartum(3, tear_grade="severe"),
        "physio",
        "severe_tear",
        False,
    ),
    (
        "severe symptoms within 6 weeks",
        "postpartum",
        postpartum(3, isi_frequency="daily", isi_amount="small"),
        "physio",
        "severe_early",
        False,
    ),
    (
        "moderate symptoms within 6 weeks",
        "postpartum",
        postpartum(3),
        "wait",
        "early_postpartum",
        False,
    ),
    (
        "no leaking within 6 weeks",
        "postpartum",
        postpartum(5, leaked="no"),
        "wait",
        "early_postpartum",
        False,
    ),
    (
        "severe symptoms after 6 weeks",
        "postpartum",
        postpartum(6, isi_frequency="daily", isi_amount="more"),
        "training",
        "training",
        False,
    ),
    (
        "tear grade unknown",
        "postpartum",
        postpartum(10, tear_grade="unknown"),
        "training",
        "training",
        False,
    ),
    (
        "control unsure",
        "postpartum",
        postpartum(10, control_hold="unsure"),
        "awareness",
        "control_unsure",
        False,
    ),
    (
        "control a little",
        "postpartum",
        postpartum(10, control_feel="a_little"),
        "awareness",
        "control_unsure",
        False,
    ),
    (
        "control insufficient",
        "postpartum",
        postpartum(10, control_relax="no", control_hold="unsure"),
        "awareness",
        "control_insufficient",
        False,
    ),
    ("stress type", "postpartum", postpartum(10), "training", "training", False),
    (
        "urge type",
        "postpartum",
        postpartum(10, leak_when=["urge"], leak_most="urge"),
        "training",
        "training_bladder",
        True,
    ),
    (
        "mixed type",
        "postpartum",
        postpartum(10, leak_when=["activity", "urge"], leak_most="equally"),
        "training",
        "training_bladder",
        True,
    ),
    (
        "other type: neither stress nor urge, its cause for a physio to find",
        "postpartum",
        postpartum(10, leak_when=["neither"], leak_most="neither"),
        "physio",
        "other_type",
        False,
    ),
    (
        "other type and unsure control: still the physio",
        "menopause",
        menopause(leak_most="neither", control_feel="unsure"),
        "physio",
        "other_type",
        False,
    ),
    (
        "mixed: the dominant type is urge",
        "postpartum",
        postpartum(10, leak_when=["activity", "urge"], leak_most="urge"),
        "training",
        "training_bladder",
        True,
    ),
    (
        "mixed, equally",
        "postpartum",
        postpartum(10, leak_when=["activity", "urge"], leak_most="equally"),
        "training",
        "training_bladder",
        True,
    ),
    (
        "day 41 after the birth: still the early weeks",
        "postpartum",
        postpartum(0, delivery_date=(TODAY - timedelta(days=41)).isoformat()),
        "wait",
        "early_postpartum",
        False,
    ),
    (
        "day 42 after the birth: the intake decides",
        "postpartum",
        postpartum(0, delivery_date=(TODAY - timedelta(days=42)).isoformat()),
        "training",
        "training",
        False,
    ),
    ("no leaking", "postpartum", postpartum(10, leaked="no"), "training", "training", False),
    (
        "menopause red flag",
        "menopause",
        menopause(red_flags=["bleeding"]),
        "see_gp",
        "red_flag",
        False,
    ),
    (
        "menopause unsure control",
        "menopause",
        menopause(control_feel="unsure"),
        "awareness",
        "control_unsure",
        False,
    ),
    (
        "menopause urge",
        "menopause",
        menopause(leak_most="urge"),
        "training",
        "training_bladder",
        True,
    ),
    ("menopause stress", "menopause", menopause(), "training", "training", False),
]


@pytest.mark.parametrize(
    ("cohort", "answers", "route", "rule", "bladder"),
    [case[1:] for case in ROUTES],
    ids=[case[0] for case in ROUTES],
)
def test_routing(cohort, answers, route, rule, bladder):
    outcome = rules.route(default_program(), cohort, answers, TODAY)
    assert (outcome.route, outcome.rule, outcome.bladder_training) == (Route(route), rule, bladder)


def test_too_soon_after_birth_says_when_the_intake_opens():
    outcome = rules.route(default_program(), "postpartum", postpartum(3), TODAY)
    delivered = TODAY - timedelta(weeks=3)
    assert outcome.reopens_on == delivered + timedelta(weeks=6)
    assert outcome.recheck_on is None


def test_unsure_control_sets_a_check_in_two_weeks():
    outcome = rules.route(
        default_program(), "postpartum", postpartum(10, control_feel="unsure"), TODAY
    )
    assert outcome.recheck_on == TODAY + timedelta(days=14)


@pytest.mark.parametrize(
    ("frequency", "amount", "isi", "severity"),
    [
        ("less_than_monthly", "drops", 1, "slight"),
        ("monthly", "drops", 2, "slight"),
        ("less_than_monthly", "more", 3, "moderate"),
        ("weekly", "drops", 3, "moderate"),
        ("monthly", "small", 4, "moderate"),
        ("daily", "drops", 4, "moderate"),
        ("monthly", "more", 6, "moderate"),
        ("daily", "small", 8, "severe"),
        ("weekly", "more", 9, "severe"),
        ("daily", "more", 12, "very_severe"),
    ],
)
def test_incontinence_severity_index(frequency, amount, isi, severity):
    answers = postpartum(10, isi_frequency=frequency, isi_amount=amount)
    scores = rules.route(default_program(), "postpartum", answers, TODAY).scores
    assert (scores.isi, scores.isi_severity) == (isi, severity)


def test_scores_are_stored_with_the_outcome():
    outcome = rules.route(
        default_program(), "postpartum", postpartum(12, red_flags=["bulge", "bowel"]), TODAY
    )
    record = outcome.as_record()
    assert record["scores"]["red_flags"] == ["bulge", "bowel"]
    assert record["scores"]["incontinence_type"] == "stress"
    assert record["scores"]["isi"] == 3
    assert record["scores"]["weeks_postpartum"] == 12
    assert record["scores"]["iciq"] is None
    assert record["rule"] == "red_flag"


def test_without_leaking_there_is_no_type_or_severity_and_follow_up_answers_are_dropped():
    answers = postpartum(10, leaked="no")  # still carries leak_most etc. from before
    assert (
        rules.check(default_program(), "postpartum", answers, TODAY)
        .keys()
        .isdisjoint({"leak_when", "leak_most", "isi_frequency", "isi_amount"})
    )
    scores = rules.route(default_program(), "postpartum", answers, TODAY).scores
    assert (scores.incontinence_type, scores.isi, scores.isi_severity) == ("none", None, "none")


def test_menopause_intake_asks_nothing_about_a_delivery():
    keys = {q["key"] for q in rules.questions(default_program(), "menopause", {"leaked": "yes"})}
    assert keys.isdisjoint({"delivery_date", "delivery_kind", "tear_grade"})
    assert {"red_flags", "leaked", "leak_most", "control_feel"} <= keys
    # delivery answers posted anyway change nothing
    outcome = rules.route(default_program(), "menopause", menopause(tear_grade="severe"), TODAY)
    assert outcome.route is Route.TRAINING
    assert outcome.scores.weeks_postpartum is None


def _iciq_program(**settings) -> Program:
    return Program(build({"settings": settings}))


def test_iciq_is_asked_and_scored_only_where_enabled_with_a_licence():
    plain = {q["key"] for q in rules.questions(default_program(), "postpartum", {"leaked": "yes"})}
    assert not any(key.startswith("iciq_") for key in plain)
    program = _iciq_program(iciq_enabled=True, iciq_licence_confirmed=True)
    answers = postpartum(
        10, iciq_frequency="daily", iciq_amount="moderate", iciq_interference="7"
    )  # 3 + 4 + 7
    assert rules.route(program, "postpartum", answers, TODAY).scores.iciq == 14
    with pytest.raises(AnswerError) as missing:
        rules.route(program, "postpartum", postpartum(10), TODAY)
    assert set(missing.value.problems) == {"iciq_frequency", "iciq_amount", "iciq_interference"}


def test_the_early_weeks_are_a_setting_of_the_version():
    program = Program(build({"settings": {"early_postpartum_weeks": 8}}))
    assert rules.route(program, "postpartum", postpartum(7), TODAY).route is Route.WAIT
    assert (
        rules.route(default_program(), "postpartum", postpartum(7), TODAY).route is Route.TRAINING
    )


BAD = [
    ("missing answer", {"leaked": None}, "leaked", Problem.REQUIRED),
    (
        "future delivery",
        {"delivery_date": (TODAY + timedelta(days=1)).isoformat()},
        "delivery_date",
        Problem.FUTURE_DATE,
    ),
    ("not a date", {"delivery_date": "31-02-2026"}, "delivery_date", Problem.NOT_A_DATE),
    ("ancient delivery", {"delivery_date": "1990-01-01"}, "delivery_date", Problem.DATE_TOO_OLD),
    ("unknown value", {"leak_most": "sometimes"}, "leak_most", Problem.UNKNOWN_CHOICE),
    ("two single answers", {"leaked": ["yes", "no"]}, "leaked", Problem.UNKNOWN_CHOICE),
    ("none and a flag", {"red_flags": ["none", "bulge"]}, "red_flags", Problem.EXCLUSIVE),
    ("unknown flag", {"red_flags": ["headache"]}, "red_flags", Problem.UNKNOWN_CHOICE),
    ("empty choice list", {"red_flags": []}, "red_flags", Problem.REQUIRED),
]


@pytest.mark.parametrize(
    ("change", "key", "problem"), [case[1:] for case in BAD], ids=[case[0] for case in BAD]
)
def test_bad_answers_are_refused_with_the_reason(change, key, problem):
    answers = {k: v for k, v in postpartum(10, **change).items() if v is not None}
    with pytest.raises(AnswerError) as refused:
        rules.route(default_program(), "postpartum", answers, TODAY)
    assert refused.value.problems == {key: problem}


def test_every_missing_answer_is_listed():
    with pytest.raises(AnswerError) as refused:
        rules.route(default_program(), "postpartum", {"leaked": "no"}, TODAY)
    assert set(refused.value.problems) == {
        "delivery_date",
        "delivery_kind",
        "tear_grade",
        "red_flags",
        "control_feel",
        "control_relax",
        "control_hold",
    }


def test_a_red_flag_wins_over_answers_missing_or_wrong_elsewhere():
    outcome = rules.route(default_program(), "menopause", {"red_flags": ["blood_in_urine"]}, TODAY)
    assert (outcome.route, outcome.rule) == (Route.SEE_GP, "red_flag")
    assert outcome.scores.red_flags == ["blood_in_urine"]
    wrong_date = postpartum(10, red_flags=["bulge"], delivery_date="gisteren")
    flagged = rules.route(default_program(), "postpartum", wrong_date, TODAY)
    assert (flagged.route, flagged.scores.red_flags) == (Route.SEE_GP, ["bulge"])
    with pytest.raises(AnswerError):  # without one, what is missing is still asked for
        rules.route(default_program(), "menopause", {"red_flags": ["none"]}, TODAY)


def test_one_red_flag_given_as_text_is_one_flag():
    outcome = rules.decide(default_program(), "menopause", menopause(red_flags="bulge"), TODAY)
    assert (outcome.route, outcome.scores.red_flags) == (Route.SEE_GP, ["bulge"])


def test_leaking_all_the_time_is_the_red_flag_of_constant_leakage():
    program = _iciq_program(iciq_enabled=True, iciq_licence_confirmed=True)
    iciq = {"iciq_amount": "large", "iciq_interference": "10"}
    outcome = rules.route(
        program, "postpartum", postpartum(14, iciq_frequency="always", **iciq), TODAY
    )
    assert (outcome.route, outcome.scores.red_flags) == (Route.SEE_GP, ["constant_leak"])
    both = rules.route(
        program,
        "postpartum",
        postpartum(14, red_flags=["constant_leak"], iciq_frequency="always", **iciq),
        TODAY,
    )
    assert both.scores.red_flags == ["constant_leak"]  # named once
    often = rules.route(
        program, "postpartum", postpartum(14, iciq_frequency="several_daily", **iciq), TODAY
    )
    assert often.route is Route.TRAINING


def test_an_unanswered_self_check_question_is_unsure_control():
    answers = {**menopause(), "control_relax": None, "control_hold": None}
    outcome = rules.decide(default_program(), "menopause", answers, TODAY)
    assert (outcome.route, outcome.scores.control) == (Route.AWARENESS, "unsure")


def test_dry_at_the_intake_she_scores_0_on_the_iciq_as_at_her_re_assessments():
    program = _iciq_program(iciq_enabled=True, iciq_licence_confirmed=True)
    scores = rules.route(program, "postpartum", postpartum(10, leaked="no"), TODAY).scores
    assert (scores.isi, scores.iciq) == (None, 0)
