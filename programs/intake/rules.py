"""The intake's answers checked, scored and routed: pure functions over (answers, program).

No Flask and no database here, so every branch is tested as a table of cases, and the same
answers with the same program version always give the same outcome. Answers are a dict of
question key -> a string (single choice, ISO date) or a list of strings (several choices)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from pelvicoach.programs.configuration.program import Program

Answer = str | list[str]
OLDEST_DELIVERY_YEARS = 20


class Route(StrEnum):
    """Where the intake sends her."""

    SEE_GP = "see_gp"  # a red flag: her GP first, no self-treatment
    PHYSIO = "physio"  # straight to a bekkenfysiotherapeut (a severe tear, severe symptoms in
    # the first weeks, or leaking that is neither stress nor urge: the 3IQ's "other")
    WAIT = "wait"  # too soon after the birth: information and awareness only, intake later
    AWARENESS = "awareness"  # control not sufficient or unsure: awareness work, see a physio
    TRAINING = "training"  # exercise therapy unlocked


class Problem(StrEnum):
    """Why an answer cannot be taken; the portal words it for her."""

    REQUIRED = "required"
    UNKNOWN_CHOICE = "unknown_choice"
    NOT_A_DATE = "not_a_date"
    FUTURE_DATE = "future_date"
    DATE_TOO_OLD = "date_too_old"
    EXCLUSIVE = "exclusive"


class AnswerError(ValueError):
    def __init__(self, problems: dict[str, Problem]) -> None:
        super().__init__(", ".join(f"{key}: {problem}" for key, problem in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class Scores:
    red_flags: list[str] = field(default_factory=list)
    incontinence_type: str = "none"  # 3IQ: stress, urge, mixed, other; none without leakage
    isi: int | None = None  # Incontinence Severity Index, 1-12 (None: no leakage)
    isi_severity: str = "none"  # slight, moderate, severe, very_severe
    iciq: int | None = None  # ICIQ-UI SF 0-21 (0 dry), only where the version enables it
    control: str = "unsure"  # sufficient, unsure, insufficient
    weeks_postpartum: int | None = None


@dataclass(frozen=True)
class Outcome:
    route: Route
    rule: str  # the rule that fired, stored so nobody has to recompute it
    scores: Scores
    bladder_training: bool = False
    reopens_on: date | None = None  # WAIT: the day the intake opens again
    recheck_on: date | None = None  # AWARENESS: the day to check control again

    def as_record(self) -> dict[str, Any]:
        return {
            "route": self.route.value,
            "rule": self.rule,
            "scores": asdict(self.scores),
            "bladder_training": self.bladder_training,
            "reopens_on": self.reopens_on.isoformat() if self.reopens_on else None,
            "recheck_on": self.recheck_on.isoformat() if self.recheck_on else None,
        }


def option(question: dict[str, Any], value: str) -> dict[str, Any] | None:
    return next((o for o in question.get("options", []) if o["value"] == value), None)


def shown(question: dict[str, Any], answers: dict[str, Answer]) -> bool:
    condition = question.get("show_if")
    if not condition:
        return True
    given = answers.get(condition["question"])
    given_values = given if isinstance(given, list) else [given]
    return any(value in condition["in"] for value in given_values)


def questions(program: Program, cohort: str, answers: dict[str, Answer]) -> list[dict[str, Any]]:
    """The questions she is asked, given what she answered so far (some depend on others)."""
    return [q for q in program.questions(cohort) if shown(q, answers)]


def parse(question: dict[str, Any], raw: Answer | None, today: date) -> Answer:
    """Her answer to one question, checked; AnswerError otherwise."""
    key = question["key"]
    values = [raw] if isinstance(raw, str) else list(raw or [])
    values = [value.strip() for value in values if value and value.strip()]
    if not values:
        raise AnswerError({key: Problem.REQUIRED})
    if question["kind"] == "date":
        try:
            given = date.fromisoformat(values[0])
        except ValueError:
            raise AnswerError({key: Problem.NOT_A_DATE}) from None
        if given > today:
            raise AnswerError({key: Problem.FUTURE_DATE})
        if given < today.replace(year=today.year - OLDEST_DELIVERY_YEARS, day=1):
            raise AnswerError({key: Problem.DATE_TOO_OLD})
        return given.isoformat()
    if any(option(question, value) is None for value in values):
        raise AnswerError({key: Problem.UNKNOWN_CHOICE})
    if question["kind"] == "single":
        if len(values) > 1:
            raise AnswerError({key: Problem.UNKNOWN_CHOICE})
        return values[0]
    chosen = list(dict.fromkeys(values))
    exclusive = question.get("exclusive")
    if exclusive in chosen and len(chosen) > 1:
        raise AnswerError({key: Problem.EXCLUSIVE})
    return chosen


def check(
    program: Program, cohort: str, answers: dict[str, Answer], today: date
) -> dict[str, Answer]:
    """Every question she is asked answered and valid: the answers kept (those of questions
    she is no longer asked are dropped). AnswerError lists every problem."""
    return check_all(questions(program, cohort, answers), answers, today)


def check_all(
    asked: list[dict[str, Any]], answers: dict[str, Answer], today: date
) -> dict[str, Answer]:
    """Each of the `asked` questions answered and valid; AnswerError lists every problem."""
    kept: dict[str, Answer] = {}
    problems: dict[str, Problem] = {}
    for question in asked:
        try:
            kept[question["key"]] = parse(question, answers.get(question["key"]), today)
        except AnswerError as error:
            problems.update(error.problems)
    if problems:
        raise AnswerError(problems)
    return kept


def _isi_severity(isi: int) -> str:
    """Sandvik's bands: 1-2 slight, 3-6 moderate, 8-9 severe, 12 very severe."""
    if isi <= 2:
        return "slight"
    if isi <= 6:
        return "moderate"
    if isi <= 9:
        return "severe"
    return "very_severe"


def _chosen(asked: dict[str, dict[str, Any]], answers: dict[str, Answer], key: str) -> dict:
    """The option she chose for a single-choice question she was asked; {} otherwise."""
    question, value = asked.get(key), answers.get(key)
    return (option(question, value) or {}) if question and isinstance(value, str) else {}


def _control(asked: dict[str, dict[str, Any]], answers: dict[str, Answer]) -> str:
    """The self-check gates, it does not diagnose: one 'no' is insufficient, one 'unsure' (or
    an unanswered self-check question, or no self-check at all) is unsure, only all-clear is
    sufficient."""
    verdicts = {
        _chosen(asked, answers, key).get("control", "unsure")
        for key, question in asked.items()
        if any("control" in choice for choice in question.get("options", []))
    }
    if "insufficient" in verdicts:
        return "insufficient"
    return "sufficient" if verdicts == {"sufficient"} else "unsure"


def _given(answers: dict[str, Answer], key: str) -> list[str]:
    """Her answer to a question as a list of values, one answer or several."""
    value = answers.get(key)
    return [value] if isinstance(value, str) else list(value or [])


def _red_flags(asked: dict[str, dict[str, Any]], answers: dict[str, Answer]) -> list[str]:
    """The red flags among her answers: options marked as one, and answers that amount to one
    asked elsewhere (leaking "all the time" is constant leakage), each named once."""
    flags = []
    for key, question in asked.items():
        for value in _given(answers, key):
            chosen = option(question, value) or {}
            if chosen.get("red_flag"):
                flags.append(value)
            if chosen.get("raises"):
                flags.append(chosen["raises"])
    return list(dict.fromkeys(flags))


def score(program: Program, cohort: str, answers: dict[str, Answer], today: date) -> Scores:
    asked = {q["key"]: q for q in questions(program, cohort, answers)}

    def points(key: str) -> int:
        return _chosen(asked, answers, key).get("score", 0)

    leaked = answers.get("leaked") == "yes"
    isi = points("isi_frequency") * points("isi_amount") if leaked else None
    iciq = None
    if program.iciq_enabled:  # dry, she scores 0 on it, as at her re-assessments
        iciq = sum(points(key) for key in asked if key.startswith("iciq_")) if leaked else 0
    weeks = None
    if "delivery_date" in asked and answers.get("delivery_date"):
        weeks = (today - date.fromisoformat(str(answers["delivery_date"]))).days // 7
    return Scores(
        red_flags=_red_flags(asked, answers),
        incontinence_type=_chosen(asked, answers, "leak_most").get("type", "other")
        if leaked
        else "none",
        isi=isi,
        isi_severity=_isi_severity(isi) if isi else "none",
        iciq=iciq,
        control=_control(asked, answers),
        weeks_postpartum=weeks,
    )


def route(program: Program, cohort: str, answers: dict[str, Answer], today: date) -> Outcome:
    """Check, score and route her answers. A red flag wins even over answers missing or wrong
    elsewhere: she goes to her GP whatever else she answered."""
    try:
        kept = check(program, cohort, answers, today)
    except AnswerError as error:
        asked = {
            q["key"]: q
            for q in questions(program, cohort, answers)
            if q["key"] not in error.problems  # a flag beside "none" is for her to settle
        }
        flags = _red_flags(asked, answers)
        if flags:
            return Outcome(Route.SEE_GP, "red_flag", Scores(red_flags=flags))
        raise
    return decide(program, cohort, kept, today)


def decide(program: Program, cohort: str, answers: dict[str, Answer], today: date) -> Outcome:
    """Route answers that `check` has passed; the first rule that applies decides."""
    scores = score(program, cohort, answers, today)
    settings = program.settings
    postpartum = scores.weeks_postpartum is not None
    early = postpartum and scores.weeks_postpartum < settings["early_postpartum_weeks"]
    asked = {q["key"]: q for q in questions(program, cohort, answers)}
    severe_tear = postpartum and bool(_chosen(asked, answers, "tear_grade").get("severe"))
    if scores.red_flags:
        return Outcome(Route.SEE_GP, "red_flag", scores)
    if severe_tear:
        return Outcome(Route.PHYSIO, "severe_tear", scores)
    if early and (scores.isi or 0) >= settings["severe_isi_min"]:
        return Outcome(Route.PHYSIO, "severe_early", scores)
    if early:
        delivered = date.fromisoformat(str(answers["delivery_date"]))
        opens = delivered + timedelta(weeks=settings["early_postpartum_weeks"])
        return Outcome(Route.WAIT, "early_postpartum", scores, reopens_on=opens)
    if scores.incontinence_type == "other":  # neither stress nor urge: its cause needs a look
        return Outcome(Route.PHYSIO, "other_type", scores)
    if scores.control != "sufficient":
        recheck = today + timedelta(days=settings["control_recheck_days"])
        return Outcome(Route.AWARENESS, f"control_{scores.control}", scores, recheck_on=recheck)
    bladder = scores.incontinence_type in ("urge", "mixed")
    return Outcome(
        Route.TRAINING,
        "training_bladder" if bladder else "training",
        scores,
        bladder_training=bladder,
    )
