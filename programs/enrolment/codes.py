"""Campaign codes: an insurer prints a code in its member magazine or on a GP's leaflet, and a
woman who has it signs herself up on the tenant's own page. She proves her address by a link;
only then is she enrolled, and the code counted, in one conditional UPDATE so a code with ten
uses left enrols ten women however many click at once. Nothing here commits."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    delete,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform.accounts import find_user
from pelvicoach.platform.extensions import BigId, as_utc, db, enum_column
from pelvicoach.platform.mail import queue_mail
from pelvicoach.platform.tenancy import TenantScoped, cross_tenant
from pelvicoach.platform.tokens import digest
from pelvicoach.programs.enrolment.models import Cohort, Patient
from pelvicoach.programs.enrolment.services import enrol
from pelvicoach.tenants.models import TenantInfo

# Eight characters without look-alikes (no O/0, I/1/L): some 10^12 codes, read off paper.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
VERIFY_WITHIN = timedelta(hours=24)


class CampaignCode(TenantScoped, db.Model):
    __tablename__ = "campaign_codes"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_campaign_codes_tenant_code"),)

    id: Mapped[BigId]
    code: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(120))  # where it was printed, for the report
    cohort: Mapped[Cohort] = mapped_column(enum_column(Cohort, "cohort"))
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def state(self, today: date) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_on < today:
            return "expired"
        if self.uses >= self.max_uses:
            return "used_up"
        return "active"


class CodeSignup(TenantScoped, db.Model):
    """A woman who entered a valid code and her details, until she follows the link in her
    e-mail (then she is enrolled and this row is spent) or it expires."""

    __tablename__ = "code_signups"
    __table_args__ = (Index("ix_code_signups_tenant_id_code_id", "tenant_id", "code_id"),)

    id: Mapped[BigId]
    code_id: Mapped[int] = mapped_column(ForeignKey("campaign_codes.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    birth_year: Mapped[int] = mapped_column(Integer)
    delivery_date: Mapped[date | None] = mapped_column(Date)
    locale: Mapped[str] = mapped_column(String(5))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CodeError(ValueError):
    """The sign-up cannot go on; the message is for her."""


def normalise(code: str) -> str:
    """What she typed, as stored: case, spaces and dashes do not matter."""
    return "".join(code.split()).replace("-", "").upper()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def create_code(
    tenant_id: int,
    *,
    label: str,
    cohort: str,
    max_uses: int,
    expires_on: date,
    created_by: int | None,
    code: str | None = None,
) -> CampaignCode:
    """A new code (a readable random one unless the tenant chose its own); CodeError when the
    tenant has that code already."""
    wanted = normalise(code) if code else new_code()
    if db.session.scalar(
        select(CampaignCode.id).where(
            CampaignCode.tenant_id == tenant_id, CampaignCode.code == wanted
        )
    ):
        raise CodeError(_("This code exists already."))
    row = CampaignCode(
        tenant_id=tenant_id,
        code=wanted,
        label=label,
        cohort=cohort,
        max_uses=max_uses,
        expires_on=expires_on,
        created_by=created_by,
        created_at=datetime.now(UTC),
    )
    db.session.add(row)
    db.session.flush()
    return row


def usable(tenant_id: int, code: str, today: date) -> CampaignCode | None:
    """The code if a woman may sign up with it now; None for unknown, expired, used up or
    withdrawn alike, so a guess learns nothing about which."""
    row = db.session.scalar(
        select(CampaignCode).where(
            CampaignCode.tenant_id == tenant_id, CampaignCode.code == normalise(code)
        )
    )
    return row if row is not None and row.state(today) == "active" else None


def start_signup(
    code: CampaignCode,
    *,
    email: str,
    name: str,
    birth_year: int,
    delivery_date: date | None,
    locale: str,
    link: callable,  # token -> her verification link
    sign_in_link: str,
    site_name: str,
) -> None:
    """Keep her details and mail her the link that proves the address is hers. Someone with an
    account here gets a mail that says so instead: the page looks the same either way, so it
    tells nobody who is enrolled."""
    now = datetime.now(UTC)
    with force_locale(locale):
        if find_user(code.tenant_id, email) is not None:
            queue_mail(
                tenant_id=code.tenant_id,
                to=email,
                subject=_("Your pelvic floor coach at %(site)s", site=site_name),
                body=_(
                    "Hello,\n\nSomeone, probably you, tried to sign up with this address. You"
                    " have an account already: sign in here.\n%(link)s\n",
                    link=sign_in_link,
                ),
                purpose="code_signup_known",
            )
            return
        token = secrets.token_urlsafe(32)
        db.session.add(
            CodeSignup(
                tenant_id=code.tenant_id,
                code_id=code.id,
                email=email,
                name=name,
                birth_year=birth_year,
                delivery_date=delivery_date,
                locale=locale,
                token_hash=digest(token),
                created_at=now,
                expires_at=now + VERIFY_WITHIN,
            )
        )
        queue_mail(
            tenant_id=code.tenant_id,
            to=email,
            subject=_("Confirm your e-mail address for %(site)s", site=site_name),
            # Not her name: whoever typed the address typed it too, and it may be anything.
            body=_(
                "Hello,\n\nConfirm your e-mail address to start with the pelvic floor"
                " coach of %(site)s (the link works for 24 hours):\n%(link)s\n\nDid you not"
                " sign up? Then you can ignore this e-mail.\n",
                site=site_name,
                link=link(token),
            ),
            purpose="code_signup",
        )


def verify(tenant: TenantInfo, token: str) -> Patient:
    """Enrol her from her confirmed sign-up; CodeError when the link or the code is spent."""
    now = datetime.now(UTC)
    signup = db.session.scalar(
        select(CodeSignup).where(
            CodeSignup.tenant_id == tenant.id, CodeSignup.token_hash == digest(token)
        )
    )
    if signup is None or signup.verified_at is not None or as_utc(signup.expires_at) <= now:
        raise CodeError(_("This link is no longer valid."))
    code = db.session.get(CampaignCode, signup.code_id)
    counted = db.session.execute(
        update(CampaignCode)
        .where(
            CampaignCode.id == code.id,
            CampaignCode.revoked_at.is_(None),
            CampaignCode.expires_on >= now.date(),
            CampaignCode.uses < CampaignCode.max_uses,
        )
        .values(uses=CampaignCode.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if counted.rowcount != 1:
        raise CodeError(_("This code can no longer be used."))
    signup.verified_at = now
    patient = enrol(
        tenant,
        email=signup.email,
        name=signup.name,
        cohort=code.cohort,
        birth_year=signup.birth_year,
        delivery_date=signup.delivery_date,
    )
    patient.user.locale = signup.locale
    db.session.delete(signup)  # her details now live in her account, nowhere else
    return patient


def purge() -> int:
    """Periodic job (platform role): sign-ups nobody confirmed hold a name and an address."""
    with cross_tenant(db.session, "purge unconfirmed code sign-ups"):
        gone = db.session.execute(
            delete(CodeSignup).where(CodeSignup.expires_at < datetime.now(UTC))
        ).rowcount
        db.session.commit()
    return gone
