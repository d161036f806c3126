"""The retention job: a woman's account is not kept for ever. After her tenant's period without
her (its `retention_months`, 24 by default: counted from her last sign-in or visit, her
enrolment, or the day the coach stopped for her, whichever is last) she is warned by e-mail,
and a month later, if she has not come back, erased (programs.enrolment.erasure).

Runs daily under the platform role, a tenant at a time, in batches; running it twice in a day
warns and erases no one twice."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dateutil.relativedelta import relativedelta
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from pelvicoach.platform import audit
from pelvicoach.platform.accounts import User
from pelvicoach.platform.extensions import as_utc, db
from pelvicoach.platform.mail import queue_mails
from pelvicoach.platform.tenancy import cross_tenant, tenant_context, worker_site_url
from pelvicoach.programs.enrolment import erasure
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.tenants.models import Tenant

log = logging.getLogger(__name__)

WARN_BEFORE = timedelta(days=30)
BATCH = 500


@dataclass(frozen=True)
class Outcome:
    warned: int = 0
    erased: int = 0


def last_seen(patient: Patient, user: User | None) -> datetime:
    """The last sign of her: what the retention period counts from."""
    moments = [patient.enrolled_at, patient.stopped_at]
    if user is not None:
        moments += [user.created_at, user.last_active_at]
    return max(as_utc(moment) for moment in moments if moment is not None)


def run(now: datetime | None = None) -> Outcome:
    """The scheduler's job, over every tenant."""
    now = now or datetime.now(UTC)
    with cross_tenant(db.session, "read each tenant's retention period"):
        periods = db.session.execute(
            select(Tenant.id, Tenant.slug, Tenant.name, Tenant.retention_months)
        ).all()
        db.session.rollback()
    warned = erased = 0
    for tenant_id, slug, name, months in periods:
        outcome = _tenant(tenant_id, slug, name, months, now)
        warned, erased = warned + outcome.warned, erased + outcome.erased
    if warned or erased:
        log.info("retention: %s warned, %s erased", warned, erased)
    return Outcome(warned, erased)


def _tenant(tenant_id: int, slug: str, name: str, months: int, now: datetime) -> Outcome:
    period = relativedelta(months=months)
    # Nobody seen since this moment can be due; the exact test is made per woman below.
    horizon = now - period + WARN_BEFORE
    warned = erased = 0
    after = 0
    while True:
        with tenant_context(tenant_id, db.session):
            rows = db.session.execute(
                select(Patient, User)
                .outerjoin(User, User.id == Patient.user_id)
                .where(
                    Patient.tenant_id == tenant_id,
                    Patient.id > after,
                    Patient.erased_at.is_(None),
                    Patient.enrolled_at < horizon,
                    or_(Patient.stopped_at.is_(None), Patient.stopped_at < horizon),
                    or_(
                        User.id.is_(None),
                        func.coalesce(User.last_active_at, User.created_at) < horizon,
                    ),
                )
                .order_by(Patient.id)
                .limit(BATCH)
            ).all()
            if not rows:
                db.session.rollback()
                return Outcome(warned, erased)
            after = rows[-1][0].id
            mails = []
            for patient, user in rows:
                seen = last_seen(patient, user)
                due = seen + period
                warning = patient.retention_warned_at
                if warning is not None and as_utc(warning) >= seen:  # warned, not come back
                    if now >= max(due, as_utc(warning) + WARN_BEFORE):
                        _erase(patient)
                        erased += 1
                elif now >= due - WARN_BEFORE:
                    patient.retention_warned_at = now
                    warned += 1
                    if user is not None:
                        mails.append(_warning(user, name, slug, max(due, now + WARN_BEFORE)))
            queue_mails(tenant_id=tenant_id, mails=mails, purpose="retention_warning")
            db.session.commit()


def _erase(patient: Patient) -> None:
    pseudonym = patient.pseudonym
    erasure.erase(patient)
    audit.record(
        "patient.erased",
        object_type="patient",
        object_id=pseudonym,
        tenant_id=patient.tenant_id,
        detail={"by": "retention"},
    )


def _warning(user: User, site: str, slug: str, on: datetime) -> tuple[str, str, str]:
    """Her warning (recipient, subject, body), in her language."""
    with force_locale(user.locale or "nl"):
        subject = _("Your account at %(site)s will be deleted", site=site)
        body = _(
            "Hello %(name)s,\n\nYou have not used your coach at %(site)s for a long time. To"
            " protect your privacy, we delete your account and all your data on %(date)s.\n\n"
            "Do you want to keep your account? Then sign in before that day:\n"
            "%(link)s\n\nDo you want your data first? After signing in you can download it on"
            " the page 'My data'. If you do nothing, everything is deleted.\n",
            name=user.name,
            site=site,
            date=format_date(on.date(), "long"),
            link=worker_site_url(slug, "portal.home"),
        )
    return user.email, subject, body
