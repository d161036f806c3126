"""Re-assessment scoring and the 8-week rule: pure functions over (answers, program), tested as
tables like the intake's rules.

A re-assessment asks whether she leaked in the last weeks, the intake's severity questions
again (ISI; ICIQ-UI SF where the tenant has its licence) and the PGI-I. At the configured week of
practice without improvement she is advised to see her GP or a pelvic physiotherapist: without
improvement is neither her severity better by the instrument's minimal important change (or
dry) nor her own impression a success (PGI-I 1-2), or her feeling worse (PGI-I 5-7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pelvicoach.programs.configuration.program import Program
from pelvicoach.programs.intake.rules import Answer, check_all, shown

PGI_SUCCESS = 2  # PGI-I 1-2: much or very much better
PGI_NOT_IMPROVED = 3  # PGI-I 3 (a little better) or worse is no success
PGI_WORSE = 5  # PGI-I 5-7: a little, much or very much worse


def questions(program: Program, answers: dict[str, Answer]) -> list[dict[str, Any]]:
    """Her re-assessment's questions, given what she answered so far."""
    own = program.document["reassessment"]
    intake = {q["key"]: q for q in program.document["questions"]}
    repeated = [
        intake[key]
        for key in own["repeat"]
        if key in intake and (intake[key].get("requires") != "iciq" or program.iciq_enabled)
    ]
    asked = [own["questions"][0], *repeated, *own["questions"][1:]]
    return [q for q in asked if shown(q, answers)]


def check(program: Program, answers: dict[str, Answer], today: date) -> dict[str, Answer]:
    """Every question she is asked answered and valid; AnswerError lists every problem."""
    return check_all(questions(program, answers), answers, today)


@dataclass(frozen=True)
class Severity:
    isi: int  # 0 when she no longer leaks, else 1-12
    iciq: int | None = None  # 0-21 where the version enables it
    pgi_i: int | None = None  # 1-7; None for the intake's baseline


def score(program: Program, answers: dict[str, Answer]) -> Severity:
    """Checked answers scored: a dry woman scores 0 on both instruments."""
    asked = {q["key"]: q for q in questions(program, answers)}

    def points(key: str) -> int:
        question, value = asked.get(key), answers.get(key)
        options = {o["value"]: o for o in (question or {}).get("options", [])}
        return options.get(value, {}).get("score", 0) if isinstance(value, str) else 0

    leaked = answers.get("leaked") == "yes"
    isi = points("isi_frequency") * points("isi_amount") if leaked else 0
    iciq = None
    if program.iciq_enabled:
        iciq = sum(points(key) for key in asked if key.startswith("iciq_")) if leaked else 0
    return Severity(isi=isi, iciq=iciq, pgi_i=points("pgi_i") or None)


@dataclass(frozen=True)
class Verdict:
    alert: bool
    reasons: tuple[str, ...]  # "severity_not_better", "pgi_not_improved"
    instrument: str  # the severity instrument compared: "iciq" or "isi"


def eight_week_rule(
    practice_week: int, baseline: Severity, latest: Severity, settings: dict[str, Any]
) -> Verdict:
    """From the configured week of practice on: no improvement raises the alert. ICIQ is
    compared where both scores have it, else the ISI; each by its minimal important change."""
    if baseline.iciq is not None and latest.iciq is not None:
        instrument, before, now = "iciq", baseline.iciq, latest.iciq
        needed = settings["iciq_minimal_change"]
    else:
        instrument, before, now = "isi", baseline.isi, latest.isi
        needed = settings["isi_minimal_change"]
    if practice_week < settings["alert_week"]:
        return Verdict(False, (), instrument)
    better = now == 0 or before - now >= needed
    success = latest.pgi_i is not None and latest.pgi_i <= PGI_SUCCESS
    worse = latest.pgi_i is not None and latest.pgi_i >= PGI_WORSE
    if (better or success) and not worse:
        return Verdict(False, (), instrument)
    reasons = [] if better else ["severity_not_better"]
    if latest.pgi_i is not None and latest.pgi_i >= PGI_NOT_IMPROVED:
        reasons.append("pgi_not_improved")
    return Verdict(True, tuple(reasons), instrument)


def due_week(last_week: int | None, settings: dict[str, Any]) -> int:
    """The week of practice at which her next re-assessment is due: the first of every few
    weeks after the week of her last one (`last_week`; None before her first). One she did
    late, or skipped, is not owed again at once."""
    every = settings["reassessment_weeks"]
    return every if last_week is None else (last_week // every + 1) * every
