"""The report of the tenant in hand: its women counted in SQL, then suppressed as one system."""

from __future__ import annotations

from datetime import UTC, datetime

from pelvicoach.platform.tenancy import TenantLike
from pelvicoach.reporting import population
from pelvicoach.reporting.report import Published, publishable
from pelvicoach.tenants.models import REPORT_FLOOR


def published(tenant: TenantLike, now: datetime | None = None) -> Published:
    women = population.women(tenant.id, tenant.time_zone, now or datetime.now(UTC))
    return publishable(women, max(REPORT_FLOOR, tenant.report_min_group))
