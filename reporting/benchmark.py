"""The platform operator's cross-tenant benchmark: a handful of rates per tenant, each against
the median of its peers (the other active tenants, never named beside it).

The operator has no access to patient data, so only rates leave here, never a count, and only
rates that reveal no small group: a tenant's rate is shown when the women it counts and the rest
of its denominator each reach that tenant's own k (so the denominator reaches 2k), as its own
report would show them. A comparison needs at least `MIN_PEERS` other tenants with a rate: a
median of one or two peers would stand for those tenants themselves. The tenant itself is never
in its peers' median, or it would pull the yardstick towards itself.

Everything is read through the one explicit door past isolation (`cross_tenant`), each tenant's
women counted by `population.women` inside its own tenant context (one GROUP BY per tenant, with
row-level security in force as for its own report), and the reading is audited in the platform's
chain with the tenants it read. Computed afresh on each view: the page is seldom opened, and a
cache would keep health aggregates outside the database and make the audit entry say tenants
were read that were not."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from fractions import Fraction
from statistics import median

import pandas as pd
from sqlalchemy import select

from pelvicoach.platform import audit
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import cross_tenant, tenant_context
from pelvicoach.reporting import population
from pelvicoach.reporting.facts import Stage
from pelvicoach.reporting.services import smallest_group
from pelvicoach.tenants.models import Tenant, TenantStatus

MIN_PEERS = 3

Women = pd.DataFrame  # population.women(): categories and `n`, the women sharing them
Mask = Callable[[Women], pd.Series]


@dataclass(frozen=True)
class Metric:
    """A rate: the women of `denominator` of whom `numerator` holds (a subset of them)."""

    key: str
    numerator: Mask
    denominator: Mask
    per_hundred: bool = False  # shown per 100 women, not as a share


def everyone(women: Women) -> pd.Series:
    """All her tenant's women: the denominator of rates per woman enrolled."""
    return pd.Series(True, index=women.index)


ANSWERED = ("much_better", "not_much_better")
METRICS = (
    Metric("intake", lambda w: w["stage"] >= Stage.INTAKE, everyone),
    Metric(
        "training", lambda w: w["stage"] == Stage.TRAINING, lambda w: w["stage"] >= Stage.INTAKE
    ),
    Metric("plan", lambda w: w["plan"] == "meets", lambda w: w["plan"].notna()),
    Metric("pgi_8", lambda w: w["pgi_8"] == "much_better", lambda w: w["pgi_8"].isin(ANSWERED)),
    Metric(
        "answered_8",
        lambda w: w["pgi_8"].isin(ANSWERED),
        lambda w: w["pgi_8"].isin((*ANSWERED, "no_answer")),
    ),
    Metric(
        "referred",
        lambda w: w["referral"].isin(("confirmed", "attended")),
        everyone,
        per_hundred=True,
    ),
)


class Status(StrEnum):
    SHOWN = "shown"
    SMALL_GROUP = "small_group"  # the tenant's own rate would reveal a group below its k
    FEW_PEERS = "few_peers"  # fewer than MIN_PEERS other tenants have a rate to compare with


@dataclass(frozen=True)
class Cell:
    status: Status
    rate: Fraction | None = None
    median: Fraction | None = None  # of the peers' rates
    peers: int = 0


@dataclass(frozen=True)
class Row:
    tenant_id: int
    name: str
    cells: dict[str, Cell]


def rate(women: Women, metric: Metric, k: int) -> Fraction | None:
    """The tenant's rate, or None where the women counted or the rest of the denominator are
    fewer than k."""
    among = women[metric.denominator(women)]
    total = int(among["n"].sum())
    counted = int(among.loc[metric.numerator(among), "n"].sum())
    if min(counted, total - counted) < k:
        return None
    return Fraction(counted, total)


def compare(rates: Mapping[int, Mapping[str, Fraction | None]], tenant_id: int) -> dict[str, Cell]:
    """One tenant's rates against the median of the other tenants' rates that are shown."""
    cells = {}
    for metric in METRICS:
        own = rates[tenant_id][metric.key]
        peers = [
            theirs[metric.key]
            for other, theirs in rates.items()
            if other != tenant_id and theirs[metric.key] is not None
        ]
        if own is None:
            cells[metric.key] = Cell(Status.SMALL_GROUP)
        elif len(peers) < MIN_PEERS:
            cells[metric.key] = Cell(Status.FEW_PEERS)
        else:
            cells[metric.key] = Cell(Status.SHOWN, own, median(peers), len(peers))
    return cells


def read(now: datetime) -> list[Row]:
    """Every active tenant's rates against its peers; audited in the platform's chain in the
    caller's transaction (the caller commits)."""
    with cross_tenant(db.session, "operator: cross-tenant benchmark of anonymized rates"):
        tenants = db.session.execute(
            select(Tenant.id, Tenant.name, Tenant.time_zone, Tenant.report_min_group)
            .where(Tenant.status == TenantStatus.ACTIVE)
            .order_by(Tenant.name, Tenant.id)
        ).all()
        rates = {}
        for tenant in tenants:
            with tenant_context(tenant.id, db.session):
                women = population.women(tenant.id, tenant.time_zone, now)
            k = smallest_group(tenant)
            rates[tenant.id] = {metric.key: rate(women, metric, k) for metric in METRICS}
    audit.record(
        "benchmark.view",
        tenant_id=None,
        object_type="benchmark",
        detail={"tenants": [tenant.id for tenant in tenants]},
    )
    return [Row(tenant.id, tenant.name, compare(rates, tenant.id)) for tenant in tenants]
