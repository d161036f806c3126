"""A tenant's directory of care providers, and the nearest ones to a postcode."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Boolean, Float, Index, String, false, select
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform.extensions import BigId, db, enum_column
from pelvicoach.platform.tenancy import TenantScoped
from pelvicoach.tenants import postcodes


class ProviderKind(StrEnum):
    GP = "gp"  # huisartsenpraktijk
    PELVIC_PHYSIO = "pelvic_physio"  # bekkenfysiotherapeut
    EXERCISE_THERAPIST = "exercise_therapist"  # oefentherapeut
    GYNAECOLOGIST = "gynaecologist"
    UROLOGIST = "urologist"


class CareProvider(TenantScoped, db.Model):
    __tablename__ = "care_providers"
    __table_args__ = (Index("ix_care_providers_tenant_id_kind", "tenant_id", "kind"),)

    id: Mapped[BigId]
    kind: Mapped[ProviderKind] = mapped_column(enum_column(ProviderKind, "kind", length=24))
    name: Mapped[str] = mapped_column(String(160))
    address: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(7))
    city: Mapped[str] = mapped_column(String(80))
    phone: Mapped[str] = mapped_column(String(20), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    accepting_patients: Mapped[bool] = mapped_column(Boolean, default=True)
    # An insurer's contracted care organisations: the only ones its clinicians may work for.
    contracted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The centre of its postcode area, set when it is saved: distances need no lookup later.
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)


class UnknownPostcodeError(ValueError):
    """Not a Dutch postcode, or one we have no centre for."""


def add_provider(tenant_id: int, **fields: object) -> CareProvider:
    """A provider in the directory; UnknownPostcodeError when its postcode cannot be placed."""
    centre = postcodes.centre(str(fields["postcode"]))
    if centre is None:
        raise UnknownPostcodeError(fields["postcode"])
    provider = CareProvider(
        tenant_id=tenant_id, latitude=centre.latitude, longitude=centre.longitude, **fields
    )
    db.session.add(provider)
    return provider


def update_provider(provider: CareProvider, **fields: object) -> dict[str, list[object]]:
    """Apply checked fields; {name: [before, after]} of what changed, for the audit log."""
    if fields.get("postcode") and fields["postcode"] != provider.postcode:
        centre = postcodes.centre(str(fields["postcode"]))
        if centre is None:
            raise UnknownPostcodeError(fields["postcode"])
        provider.latitude, provider.longitude = centre.latitude, centre.longitude
    changed = {}
    for name, value in fields.items():
        if getattr(provider, name) != value:
            changed[name] = [getattr(provider, name), value]
            setattr(provider, name, value)
    return changed


def describe(provider: CareProvider) -> dict[str, object]:
    return {
        name: getattr(provider, name)
        for name in ("kind", "name", "address", "postcode", "city", "phone", "website")
    } | {"accepting_patients": provider.accepting_patients, "contracted": provider.contracted}


def directory(tenant_id: int) -> list[CareProvider]:
    return list(
        db.session.scalars(
            select(CareProvider)
            .where(CareProvider.tenant_id == tenant_id)
            .order_by(CareProvider.kind, CareProvider.city, CareProvider.name)
        )
    )


@dataclass(frozen=True)
class Nearby:
    provider: CareProvider
    km: float


def nearest(
    tenant_id: int, postcode: str, kinds: tuple[ProviderKind, ...] = (), limit: int = 10
) -> tuple[postcodes.Centre, list[Nearby]]:
    """The tenant's providers nearest `postcode`, those accepting patients first at equal
    distance. UnknownPostcodeError when the postcode cannot be placed: a clear message, never an
    empty list that looks like 'nobody near you'."""
    centre = postcodes.centre(postcode)
    if centre is None:
        raise UnknownPostcodeError(postcode)
    query = select(CareProvider).where(CareProvider.tenant_id == tenant_id)
    if kinds:
        query = query.where(CareProvider.kind.in_(kinds))
    found = [
        Nearby(p, postcodes.distance_km(centre, p.latitude, p.longitude))
        for p in db.session.scalars(query)
    ]
    found.sort(key=lambda n: (round(n.km, 1), not n.provider.accepting_patients, n.provider.name))
    return centre, found[:limit]
