"""The shape of a program document, checked before any version is published.

A version is immutable once published, so everything the portal and the intake rules rely on is
checked here: both languages for every text, the questions and answer values the rules read,
cue keys the exercises use, illustrations that exist, timings that make sense."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from pelvicoach.platform.config import LOCALES
from pelvicoach.programs.content import illustrations
from pelvicoach.programs.enrolment.models import Cohort, Phase

KEY = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,39}$", error="Use a-z, 0-9, - and _ only.")
COHORTS = [cohort.value for cohort in Cohort]
OUTCOMES = ("see_gp", "physio", "wait", "awareness", "training", "bladder_training")
GUIDANCE = (
    "expectations",
    "move_up",
    "step_back",
    "see_physio",
    "urge_tips",
    "no_improvement",
)
CUES = (
    "start",
    "squeeze",
    "hold",
    "relax",
    "rest",
    "breathe_in",
    "breathe_out",
    "squeeze_cough",
    "quick",
    "done",
)
# The red flags of DESIGN.md's clinical notes: a tenant may word them, and add its own, but
# none of these may be dropped or stop being a red flag.
RED_FLAGS = (
    "blood_in_urine",
    "pain_passing_urine",
    "emptying",
    "bulge",
    "bowel",
    "constant_leak",
    "neurological",
    "pelvic_cancer",
    "bleeding",
)
# The published instruments' scores, which a tenant may word but not change: question key ->
# the scores of its answers (ISI: Sandvik; ICIQ-UI Short Form).
INSTRUMENT_SCORES = {
    "isi_frequency": [1, 2, 3, 4],
    "isi_amount": [1, 2, 3],
    "iciq_frequency": [0, 1, 2, 3, 4, 5],
    "iciq_amount": [0, 2, 4, 6],
    "iciq_interference": list(range(11)),
}
# The answers the intake rules read: question key -> option values that must exist.
RULE_QUESTIONS: dict[str, tuple[str, set[str]]] = {
    "delivery_date": ("date", set()),
    "tear_grade": ("single", {"none", "severe", "unknown"}),
    "red_flags": ("multi", {"none", *RED_FLAGS}),
    "leaked": ("single", {"yes", "no"}),
    "leak_most": ("single", set()),
    "isi_frequency": ("single", set()),
    "isi_amount": ("single", set()),
    "control_feel": ("single", set()),
}


def _both_locales(value: dict[str, str]) -> None:
    missing = [locale for locale in LOCALES if not (value.get(locale) or "").strip()]
    if missing:
        raise ValidationError(f"Give the text in every language (missing: {', '.join(missing)}).")


def Text(**kwargs: Any) -> fields.Dict:  # noqa: N802 (a field factory, used like a field class)
    """A text in every portal language: {"nl": "...", "en": "..."}."""
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(LOCALES)),
        values=fields.String(validate=validate.Length(min=1, max=20_000)),
        validate=_both_locales,
        **kwargs,
    )


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class SettingsSchema(_Strict):
    # The first 6 weeks after the birth are for information and gentle awareness work only,
    # and severe symptoms (ISI 8 or more) in them go straight to a physio: a tenant may be
    # more careful, not less.
    early_postpartum_weeks = fields.Integer(required=True, validate=validate.Range(6, 26))
    severe_isi_min = fields.Integer(required=True, validate=validate.Range(1, 8))
    control_recheck_days = fields.Integer(required=True, validate=validate.Range(1, 90))
    iciq_enabled = fields.Boolean(required=True)
    iciq_licence_confirmed = fields.Boolean(required=True)
    training_days_needed = fields.Integer(required=True, validate=validate.Range(1, 28))
    training_window_days = fields.Integer(required=True, validate=validate.Range(1, 28))
    too_hard_repeats = fields.Integer(required=True, validate=validate.Range(1, 10))
    levels_ahead = fields.Integer(required=True, validate=validate.Range(0, 30))
    bladder_start_minutes = fields.Integer(required=True, validate=validate.Range(15, 240))
    bladder_step_minutes = fields.Integer(required=True, validate=validate.Range(5, 60))
    bladder_goal_minutes = fields.Integer(required=True, validate=validate.Range(30, 300))
    diary_days = fields.Integer(required=True, validate=validate.Range(1, 7))
    reassessment_weeks = fields.Integer(required=True, validate=validate.Range(1, 26))
    alert_week = fields.Integer(required=True, validate=validate.Range(1, 52))
    isi_minimal_change = fields.Float(required=True, validate=validate.Range(0.5, 12))
    iciq_minimal_change = fields.Float(required=True, validate=validate.Range(0.5, 21))
    # Who the tenant offers the coach to.
    cohorts = fields.List(
        fields.String(validate=validate.OneOf(COHORTS)),
        required=True,
        validate=validate.Length(min=1, error="Offer the coach to at least one group."),
    )
    # What her reminders page suggests before she chooses (Monday is 0).
    reminder_weekdays = fields.List(
        fields.Integer(validate=validate.Range(0, 6)),
        required=True,
        validate=validate.Length(max=7),
    )
    reminder_times = fields.List(
        fields.String(validate=validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")),
        required=True,
        validate=validate.Length(max=3),
    )

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("iciq_enabled") and not data.get("iciq_licence_confirmed"):
            raise ValidationError(
                "The ICIQ-UI Short Form is licensed: confirm the licence to enable it.",
                "iciq_enabled",
            )
        if data.get("training_days_needed", 0) > data.get("training_window_days", 28):
            raise ValidationError(
                "The days needed cannot be more than the days looked back on.",
                "training_days_needed",
            )
        if data.get("bladder_goal_minutes", 300) < data.get("bladder_start_minutes", 0):
            raise ValidationError(
                "The goal interval must be at least the starting interval.",
                "bladder_goal_minutes",
            )
        if any(not "07:00" <= moment < "22:00" for moment in data.get("reminder_times", [])):
            raise ValidationError("Suggest times between 07:00 and 22:00.", "reminder_times")


class StepSchema(_Strict):
    key = fields.String(required=True, validate=validate.OneOf([phase.value for phase in Phase]))
    title = Text(required=True)
    text = Text(required=True)


class LevelSchema(_Strict):
    """A level within the training evidence (NICE, Bo, Tat): near-maximal holds of at most 10
    seconds with a rest at least as long, up to 12 of them a set and 3 sets a day. Fewer is a
    practice's to choose (a gentler start after a difficult birth); more is not."""

    level = fields.Integer(required=True, validate=validate.Range(1, 30))
    name = Text(required=True)
    hold_seconds = fields.Integer(required=True, validate=validate.Range(1, 10))
    rest_seconds = fields.Integer(required=True, validate=validate.Range(1, 60))
    repetitions = fields.Integer(required=True, validate=validate.Range(1, 12))
    sets = fields.Integer(required=True, validate=validate.Range(1, 3))  # sets a day
    quick_contractions = fields.Integer(required=True, validate=validate.Range(0, 30))

    @validates_schema
    def _rest_after_each_hold(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("rest_seconds", 60) < data.get("hold_seconds", 0):
            raise ValidationError("Rest at least as long as the hold.", "rest_seconds")


class OutcomeSchema(_Strict):
    title = Text(required=True)
    text = Text(required=True)


class SectionSchema(_Strict):
    heading = Text(required=True)
    body = Text(required=True)


class ModuleSchema(_Strict):
    key = fields.String(required=True, validate=KEY)
    order = fields.Integer(required=True)
    enabled = fields.Boolean(load_default=True)  # a tenant may switch a module off
    cohorts = fields.List(
        fields.String(validate=validate.OneOf(COHORTS)), required=True, validate=validate.Length(1)
    )
    illustration = fields.String(required=True)
    illustration_alt = Text(required=True)
    minutes = fields.Integer(required=True, validate=validate.Range(1, 60))
    title = Text(required=True)
    summary = Text(required=True)
    sections = fields.List(fields.Nested(SectionSchema), required=True, validate=validate.Length(1))

    @validates_schema
    def _drawn(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("illustration") not in illustrations():
            raise ValidationError("No such illustration.", "illustration")


class SegmentSchema(_Strict):
    cue = fields.String(required=True, validate=validate.OneOf(CUES))
    seconds = fields.Integer(required=True, validate=validate.Range(2, 60))


class TimingSchema(_Strict):
    lead_in = fields.Integer(required=True, validate=validate.Range(2, 30))
    repetitions = fields.Integer(required=True, validate=validate.Range(1, 30))
    pattern = fields.List(fields.Nested(SegmentSchema), required=True, validate=validate.Length(1))


class ExerciseSchema(_Strict):
    key = fields.String(required=True, validate=KEY)
    order = fields.Integer(required=True)
    position = fields.String(
        required=True, validate=validate.OneOf(["lying", "sitting", "standing"])
    )
    title = Text(required=True)
    intro = Text(required=True)
    steps = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LOCALES)),
        values=fields.List(
            fields.String(validate=validate.Length(1, 500)), validate=validate.Length(1)
        ),
        required=True,
        validate=lambda value: _both_locales(
            {loc: " ".join(lines) for loc, lines in value.items()}
        ),
    )
    timing = fields.Nested(TimingSchema, required=True)


class OptionSchema(_Strict):
    value = fields.String(required=True, validate=validate.Length(1, 40))
    label = Text(required=True)
    score = fields.Integer(validate=validate.Range(0, 20))
    red_flag = fields.Boolean()
    raises = fields.String(validate=KEY)  # the red flag this answer amounts to
    severe = fields.Boolean()
    type = fields.String(validate=validate.OneOf(["stress", "urge", "mixed", "other"]))
    control = fields.String(validate=validate.OneOf(["sufficient", "unsure", "insufficient"]))


# {"question": ..., "in": [...]}: `in` is a Python keyword, so the class is built from a dict.
ShowIfSchema = _Strict.from_dict(
    {"question": fields.String(required=True), "in": fields.List(fields.String(), required=True)},
    name="ShowIfSchema",
)


class QuestionSchema(_Strict):
    key = fields.String(required=True, validate=KEY)
    kind = fields.String(required=True, validate=validate.OneOf(["date", "single", "multi"]))
    cohorts = fields.List(fields.String(validate=validate.OneOf(COHORTS)))
    requires = fields.String(validate=validate.OneOf(["iciq"]))
    exclusive = fields.String()
    show_if = fields.Nested(ShowIfSchema)
    text = Text(required=True)
    help = Text()
    options = fields.List(fields.Nested(OptionSchema))

    @validates_schema
    def _options_fit_the_kind(self, data: dict[str, Any], **_: Any) -> None:
        options = data.get("options") or []
        if data.get("kind") == "date" and options:
            raise ValidationError("A date question has no options.", "options")
        if data.get("kind") in ("single", "multi") and len(options) < 2:
            raise ValidationError("Give at least two options.", "options")
        values = [option["value"] for option in options]
        if len(values) != len(set(values)):
            raise ValidationError("Option values must differ.", "options")
        if data.get("exclusive") and data["exclusive"] not in values:
            raise ValidationError("The exclusive answer must be one of the options.", "exclusive")


class ReassessmentSchema(_Strict):
    repeat = fields.List(fields.String(validate=KEY), required=True)
    questions = fields.List(
        fields.Nested(QuestionSchema), required=True, validate=validate.Length(min=2)
    )

    @validates_schema
    def _what_the_rules_read(self, data: dict[str, Any], **_: Any) -> None:
        questions = data.get("questions") or []
        first = questions[0] if questions else {}
        if first.get("key") != "leaked" or {o["value"] for o in first.get("options", [])} != {
            "yes",
            "no",
        }:
            raise ValidationError("Ask 'leaked' (yes or no) first.", "questions")
        pgi = next((q for q in questions if q["key"] == "pgi_i"), None)
        scores = sorted(o.get("score", 0) for o in (pgi or {}).get("options", []))
        if pgi is None or pgi["kind"] != "single" or scores != list(range(1, 8)):
            raise ValidationError("Ask 'pgi_i' with 7 answers scored 1 to 7.", "questions")


class ProgramSchema(_Strict):
    settings = fields.Nested(SettingsSchema, required=True)
    disclaimer = Text(required=True)
    steps = fields.List(fields.Nested(StepSchema), required=True)
    cues = fields.Dict(
        keys=fields.String(validate=validate.OneOf(CUES)), values=Text(), required=True
    )
    levels = fields.List(fields.Nested(LevelSchema), required=True, validate=validate.Length(1))
    outcomes = fields.Dict(
        keys=fields.String(validate=validate.OneOf(OUTCOMES)),
        values=fields.Nested(OutcomeSchema),
        required=True,
    )
    guidance = fields.Dict(
        keys=fields.String(validate=validate.OneOf(GUIDANCE)),
        values=fields.Nested(OutcomeSchema),
        required=True,
    )
    modules = fields.List(fields.Nested(ModuleSchema), required=True, validate=validate.Length(1))
    exercises = fields.List(
        fields.Nested(ExerciseSchema), required=True, validate=validate.Length(1)
    )
    questions = fields.List(fields.Nested(QuestionSchema), required=True)
    reassessment = fields.Nested(ReassessmentSchema, required=True)

    @validates_schema
    def _complete(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}

        def need(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        for field in ("steps", "modules", "exercises", "questions"):
            keys = [item["key"] for item in data.get(field, [])]
            if len(keys) != len(set(keys)):
                need(field, "Each key may appear only once.")
        if {s["key"] for s in data.get("steps", [])} != {phase.value for phase in Phase}:
            need("steps", "Describe every step of the program once.")
        missing_cues = set(CUES) - set(data.get("cues", {}))
        if missing_cues:
            need("cues", f"Missing cues: {', '.join(sorted(missing_cues))}.")
        missing_outcomes = set(OUTCOMES) - set(data.get("outcomes", {}))
        if missing_outcomes:
            need("outcomes", f"Missing outcomes: {', '.join(sorted(missing_outcomes))}.")
        missing_guidance = set(GUIDANCE) - set(data.get("guidance", {}))
        if missing_guidance:
            need("guidance", f"Missing guidance: {', '.join(sorted(missing_guidance))}.")
        levels = [level["level"] for level in data.get("levels", [])]
        if levels != list(range(1, len(levels) + 1)):
            need("levels", "Number the levels 1, 2, 3, ... in order.")
        questions = {q["key"]: q for q in data.get("questions", [])}
        for key, (kind, values) in RULE_QUESTIONS.items():
            question = questions.get(key)
            if question is None or question["kind"] != kind:
                need("questions", f"The intake rules need the {kind} question {key!r}.")
                continue
            present = {option["value"] for option in question.get("options", [])}
            if values - present:
                need("questions", f"{key!r} needs the answers {', '.join(sorted(values))}.")
        flags = {
            option["value"]
            for option in questions.get("red_flags", {}).get("options", [])
            if option.get("red_flag")
        }
        if set(RED_FLAGS) - flags:
            need("questions", f"These answers stay red flags: {', '.join(RED_FLAGS)}.")
        tear = {o["value"]: o for o in questions.get("tear_grade", {}).get("options", [])}
        if "severe" in tear and not tear["severe"].get("severe"):
            need("questions", "A third or fourth degree tear stays severe.")
        for question in questions.values():
            raised = {o["raises"] for o in question.get("options", []) if "raises" in o}
            if raised - flags:
                need("questions", f"{question['key']!r} raises a red flag that is not one.")
        for key, scores in INSTRUMENT_SCORES.items():
            question = questions.get(key)
            given = sorted(o.get("score", -1) for o in (question or {}).get("options", []))
            if question is not None and given != scores:
                need("questions", f"{key!r} keeps the instrument's scores {scores}.")
        unknown = set(data.get("reassessment", {}).get("repeat", [])) - set(questions)
        if unknown:
            need("reassessment", f"Repeats unknown questions: {', '.join(sorted(unknown))}.")
        for question in questions.values():
            condition = question.get("show_if")
            if condition and condition["question"] not in questions:
                need("questions", f"{question['key']!r} depends on an unknown question.")
        if errors:
            raise ValidationError(errors)
