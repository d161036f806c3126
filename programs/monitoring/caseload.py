"""A clinician's caseload: her patients (or the whole practice's, where the tenant allows it)
with their last activity, adherence, latest severity and open alerts, sorted, filtered,
searched and paged in SQL. Every figure is a correlated aggregate in the one query that pages
the list, so a caseload of 500 costs the same number of statements as one of 10."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from pelvicoach.platform.accounts import User
from pelvicoach.platform.extensions import as_utc, db
from pelvicoach.platform.tenancy import filtered_by_tenant
from pelvicoach.programs.configuration.services import programs_by_version
from pelvicoach.programs.diary.models import Diary
from pelvicoach.programs.enrolment.models import Patient, Phase
from pelvicoach.programs.followup.models import AlertKind, CareAlert, Reassessment, Referral
from pelvicoach.programs.intake.models import Intake
from pelvicoach.programs.intake.rules import Route
from pelvicoach.programs.monitoring.models import Message
from pelvicoach.programs.training.models import ExerciseSession, PracticeDay, TrainingPlan
from pelvicoach.tenants.models import TenantInfo

PAGE_SIZE = 25
RECENT = timedelta(days=14)  # adherence is counted over, and inactivity alerted after, this
CONTROL_WAIT = timedelta(weeks=4)  # awareness work before unsure control becomes an alert


class Alert(StrEnum):
    RED_FLAG = "red_flag"
    NO_IMPROVEMENT = "no_improvement"
    INACTIVE = "inactive"
    CONTROL = "control"
    DIARY = "diary"
    MESSAGE = "message"


class Sort(StrEnum):
    ALERTS = "alerts"  # most alerts first, then the longest quiet
    NAME = "name"
    LAST_ACTIVE = "last_active"  # the longest quiet first
    ADHERENCE = "adherence"  # the fewest sets first
    SEVERITY = "severity"  # the most severe first


@dataclass(frozen=True)
class Filters:
    search: str = ""
    alert: Alert | None = None
    any_alert: bool = False
    phase: Phase | None = None
    mine: bool = False  # her own patients only, where the practice opens all to her
    sort: Sort = Sort.ALERTS
    page: int = 1


@dataclass(frozen=True)
class Row:
    pseudonym: str
    name: str | None
    phase: str
    stopped: bool
    last_active: datetime | None
    done: int  # sets logged in the last 14 days
    planned: int | None  # sets her plan asked for in them; None outside training
    isi: int | None
    previous_isi: int | None
    alerts: tuple[Alert, ...]

    @property
    def adherence(self) -> int | None:
        """Per cent of the planned sets done, at most 100."""
        if not self.planned:
            return None
        return min(100, round(100 * self.done / self.planned))

    @property
    def trend(self) -> str | None:
        """ "better", "worse" or "same" against the measurement before (a lower ISI is better)."""
        if self.isi is None or self.previous_isi is None:
            return None
        if self.isi < self.previous_isi:
            return "better"
        return "worse" if self.isi > self.previous_isi else "same"


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    total: int
    number: int
    pages: int


# The values of a caseload, bound at each execution: its statements are built once per process
# for each shape of the form (filters present or not, the sort), as building them cost more
# Python than all else the page does but its template.
TENANT = bindparam("tenant_id", type_=Integer)
CLINICIAN = bindparam("clinician_id", type_=BigInteger)
PATTERN = bindparam("pattern", type_=String)  # a LIKE pattern, its wildcards escaped
PHASE = bindparam("phase", type_=Patient.phase.type)
RECENT_SINCE = bindparam("recent_since", type_=DateTime(timezone=True))
RECENT_DAYS_FROM = bindparam("recent_days_from", type_=Date)
CONTROL_BEFORE = bindparam("control_before", type_=DateTime(timezone=True))
TODAY = bindparam("today", type_=Date)
OFFSET = bindparam("offset", type_=Integer)
LIKE_ESCAPE = "/"


def _later(a: Any, b: Any) -> Any:
    """The later of two moments, either possibly NULL (GREATEST is not in SQLite)."""
    return case((a.is_(None), b), (b.is_(None), a), (a > b, a), else_=b)


class _Columns:
    """One caseload query in two levels: a row per woman with each of her figures computed
    once (the inner query, kept as it is by OFFSET 0), and over it what those figures make
    (last active, trend, alerts), which the sort and the filters use again and again. Written
    in one level, PostgreSQL evaluated her newest set once for every place the figure appears
    (dozens of times per woman, each across the session log's monthly partitions)."""

    def __init__(self, where: list[Any]) -> None:
        def mine(model: Any) -> list[Any]:
            return [model.tenant_id == TENANT, model.patient_id == Patient.id]

        def newest(column: Any, model: Any, order: Any, *where: Any, offset: int = 0) -> Any:
            return (
                select(column)
                .where(*mine(model), *where)
                .order_by(order.desc(), model.id.desc())
                .limit(1)
                .offset(offset)
                .correlate(Patient)
                .scalar_subquery()
            )

        sessions = mine(ExerciseSession)
        done_intake = Intake.completed_at.is_not(None)
        later = aliased(Intake)  # an intake completed after another
        going = Patient.stopped_at.is_(None)
        her = (
            select(
                Patient.id,
                Patient.pseudonym,
                User.name,
                Patient.phase,
                Patient.stopped_at,
                Patient.program_version_id,
                Patient.enrolled_at,
                User.last_active_at,
                TrainingPlan.level,
                TrainingPlan.practice_started_on,
                # her newest set: the last of her newest practice day, one key read
                select(PracticeDay.last_at)
                .where(*mine(PracticeDay))
                .order_by(PracticeDay.day.desc())
                .limit(1)
                .correlate(Patient)
                .scalar_subquery()
                .label("last_session"),
                select(func.count(ExerciseSession.id))
                .where(
                    *sessions,
                    ExerciseSession.performed_at >= RECENT_SINCE,
                    # her days of the fortnight: the session log's partitions before them
                    # are not read at all
                    ExerciseSession.day >= RECENT_DAYS_FROM,
                )
                .correlate(Patient)
                .scalar_subquery()
                .label("done"),
                newest(
                    Intake.scores["isi"].as_integer(), Intake, Intake.completed_at, done_intake
                ).label("intake_isi"),
                newest(Reassessment.isi, Reassessment, Reassessment.completed_at).label(
                    "latest_isi"
                ),
                newest(Reassessment.isi, Reassessment, Reassessment.completed_at, offset=1).label(
                    "before_isi"
                ),
                # Intakes have sent her to awareness work, each since the first of them four
                # weeks ago or more: the re-checks she is asked for do not start it again.
                and_(
                    going,
                    Patient.phase.not_in((Phase.TRAINING, Phase.REFERRED)),
                    exists().where(
                        *mine(Intake),
                        done_intake,
                        Intake.route == Route.AWARENESS,
                        Intake.completed_at < CONTROL_BEFORE,
                        ~exists().where(
                            *mine(later),
                            later.completed_at > Intake.completed_at,
                            later.route != Route.AWARENESS,
                        ),
                    ),
                ).label(f"alert_{Alert.CONTROL}"),
                and_(going, self._open(AlertKind.RED_FLAG)).label(f"alert_{Alert.RED_FLAG}"),
                and_(going, self._open(AlertKind.NO_IMPROVEMENT)).label(
                    f"alert_{Alert.NO_IMPROVEMENT}"
                ),
                and_(
                    going,
                    func.coalesce(
                        newest(Diary.out_of_range, Diary, Diary.starts_on, Diary.ends_on <= TODAY),
                        "",
                    )
                    != "",
                ).label(f"alert_{Alert.DIARY}"),
                exists()
                .where(*mine(Message), Message.from_patient.is_(True), Message.read_at.is_(None))
                .label(f"alert_{Alert.MESSAGE}"),
                going.label("going"),
            )
            .outerjoin(User, User.id == Patient.user_id)
            .outerjoin(
                TrainingPlan,
                and_(TrainingPlan.tenant_id == TENANT, TrainingPlan.patient_id == Patient.id),
            )
            .where(*where)
            .offset(0)  # a fence: the planner must not fold it into the outer query
            .subquery("her")
        )
        self.her = her
        self.last_active = _later(
            _later(her.c.last_session, her.c.last_active_at), her.c.enrolled_at
        )
        self.done = her.c.done
        self.isi = func.coalesce(her.c.latest_isi, her.c.intake_isi)
        self.previous_isi = case(
            (her.c.latest_isi.is_not(None), func.coalesce(her.c.before_isi, her.c.intake_isi)),
            else_=None,
        )
        self.alerts: dict[Alert, ColumnElement[bool]] = {
            Alert.RED_FLAG: her.c[f"alert_{Alert.RED_FLAG}"],
            Alert.NO_IMPROVEMENT: her.c[f"alert_{Alert.NO_IMPROVEMENT}"],
            Alert.INACTIVE: and_(
                her.c.going, her.c.phase != Phase.REFERRED, self.last_active < RECENT_SINCE
            ),
            Alert.CONTROL: her.c[f"alert_{Alert.CONTROL}"],
            Alert.DIARY: her.c[f"alert_{Alert.DIARY}"],
            Alert.MESSAGE: her.c[f"alert_{Alert.MESSAGE}"],
        }
        self.alert_count = sum(
            (case((flag, 1), else_=0) for flag in self.alerts.values()), start=literal(0)
        )

    def _open(self, kind: AlertKind) -> ColumnElement[bool]:
        """An alert of this kind that no referral followed and no clinician resolved."""
        followed = exists().where(Referral.tenant_id == TENANT, Referral.alert_id == CareAlert.id)
        return exists().where(
            CareAlert.tenant_id == TENANT,
            CareAlert.patient_id == Patient.id,
            CareAlert.kind == kind,
            CareAlert.resolved_at.is_(None),
            ~followed,
        )


def _order(columns: _Columns, sort: Sort) -> list[Any]:
    her = columns.her.c
    by = {
        Sort.ALERTS: [columns.alert_count.desc(), columns.last_active.asc()],
        Sort.NAME: [her.name.is_(None), her.name.asc()],
        Sort.LAST_ACTIVE: [columns.last_active.asc()],
        Sort.ADHERENCE: [columns.done.asc()],
        Sort.SEVERITY: [columns.isi.is_(None), columns.isi.desc()],
    }[sort]
    return [*by, her.id]


@dataclass(frozen=True)
class _Shape:
    """What of the form changes a caseload's statements, not only their values."""

    mine: bool
    search: bool
    phase: bool
    alert: Alert | None
    any_alert: bool
    sort: Sort


@cache
def _statements(shape: _Shape) -> tuple[Select, Select]:
    """A caseload's count and page, for every caseload of this shape."""
    where = [Patient.tenant_id == TENANT, Patient.erased_at.is_(None)]
    if shape.mine:
        where.append(Patient.clinician_id == CLINICIAN)
    if shape.search:
        where.append(
            or_(
                User.name.ilike(PATTERN, escape=LIKE_ESCAPE),
                Patient.pseudonym.ilike(PATTERN, escape=LIKE_ESCAPE),
            )
        )
    if shape.phase:
        where.append(Patient.phase == PHASE)
    columns = _Columns(where)
    her = columns.her.c
    flagged = []
    if shape.alert is not None:
        flagged.append(columns.alerts[shape.alert])
    elif shape.any_alert:
        flagged.append(columns.alert_count > 0)
    if flagged:  # counting needs her figures
        counted = select(her.id).where(*flagged).subquery()
    else:  # the women alone
        counted = select(Patient.id).outerjoin(User, User.id == Patient.user_id).where(*where)
        counted = counted.subquery()
    page = (
        select(
            her.pseudonym,
            her.name,
            her.phase,
            her.stopped_at,
            her.program_version_id,
            her.level,
            her.practice_started_on,
            columns.last_active.label("last_active"),
            columns.done.label("done"),
            columns.isi.label("isi"),
            columns.previous_isi.label("previous_isi"),
            *(flag.label(f"has_{alert}") for alert, flag in columns.alerts.items()),
        )
        .where(*flagged)
        .order_by(*_order(columns, shape.sort))
        .limit(PAGE_SIZE)
        .offset(OFFSET)
    )
    return filtered_by_tenant(select(func.count()).select_from(counted)), filtered_by_tenant(page)


def _like(text: str) -> str:
    """`text` anywhere, its LIKE wildcards (and the escape character) taken literally."""
    for character in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(character, LIKE_ESCAPE + character)
    return f"%{text}%"


def caseload(
    tenant: TenantInfo, clinician: User, filters: Filters, now: datetime, today: date
) -> Page:
    """One page of her caseload: two statements (the page, its count), and one more the first
    time a program version is met."""
    search = filters.search.strip()
    shape = _Shape(
        mine=filters.mine or not tenant.clinicians_see_all_patients,
        search=bool(search),
        phase=filters.phase is not None,
        alert=filters.alert,
        any_alert=filters.any_alert,
        sort=filters.sort,
    )
    count, page = _statements(shape)
    values: dict[str, Any] = {
        TENANT.key: tenant.id,
        RECENT_SINCE.key: now - RECENT,
        RECENT_DAYS_FROM.key: (now - RECENT).date() - timedelta(days=1),
        CONTROL_BEFORE.key: now - CONTROL_WAIT,
        TODAY.key: today,
    }
    if shape.mine:
        values[CLINICIAN.key] = clinician.id
    if shape.search:
        values[PATTERN.key] = _like(search)
    if shape.phase:
        values[PHASE.key] = filters.phase
    total = db.session.scalar(count, values) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(1, filters.page), pages)
    found = db.session.execute(page, {**values, OFFSET.key: (number - 1) * PAGE_SIZE}).all()
    programs = programs_by_version(tenant.id, {row.program_version_id for row in found})
    rows = []
    for row in found:
        planned = None
        if row.phase == Phase.TRAINING and row.practice_started_on is not None:
            days = min(RECENT.days, (today - row.practice_started_on).days + 1)
            planned = programs[row.program_version_id].sets_per_day(row.level or 1) * days
        rows.append(
            Row(
                pseudonym=row.pseudonym,
                name=row.name,
                phase=str(row.phase),
                stopped=row.stopped_at is not None,
                last_active=as_utc(row.last_active) if row.last_active else None,
                done=row.done or 0,
                planned=planned,
                isi=row.isi,
                previous_isi=row.previous_isi,
                alerts=tuple(a for a in Alert if row._mapping[f"has_{a}"]),
            )
        )
    return Page(rows, total, number, pages)
