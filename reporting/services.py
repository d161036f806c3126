"""The report of the tenant in hand: its women counted in SQL, then suppressed as one system,
kept for a few minutes (suppression weighs thousands of counts; a page, its charts, an export
and the API read the same result)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from pelvicoach.platform.jobs import redis_connection
from pelvicoach.platform.tenancy import TenantLike
from pelvicoach.reporting import population
from pelvicoach.reporting.report import Dim, Published, Setting, publishable
from pelvicoach.tenants.models import REPORT_FLOOR

KEEP_FOR = timedelta(minutes=5)


def smallest_group(tenant: TenantLike) -> int:
    """The tenant's k: the size it chose for its smallest group shown, never below the floor
    (a row written before the floor, or by hand, cannot lower it)."""
    return max(REPORT_FLOOR, tenant.report_min_group)


def published(tenant: TenantLike, now: datetime | None = None) -> Published:
    """The tenant's published figures: from the cache when computed in the last minutes (and
    `now` is not given: tests and benchmarks ask for a moment of their own)."""
    k = smallest_group(tenant)
    connection = redis_connection() if now is None else None
    key = f"pelvicoach:report:{tenant.id}:{k}"
    if connection is not None and (cached := connection.get(key)) is not None:
        return _decoded(json.loads(cached))
    counted = population.gather(tenant.id, tenant.time_zone, now or datetime.now(UTC))
    result = publishable(counted, k)
    if connection is not None:
        connection.set(key, json.dumps(_encoded(result)), ex=KEEP_FOR)
    return result


def _encoded(result: Published) -> dict[str, Any]:
    setting_of = {}
    counts = []
    for key, count in result.counts.items():
        setting, *rest = key
        setting_of.setdefault(setting, [setting.dim and setting.dim.value, setting.value])
        counts.append([setting_of[setting], rest, count])
    return {
        "counts": counts,
        "options": {dim.value: values for dim, values in result.options.items()},
        "months": result.months,
        "k": result.k,
        "computed_at": result.computed_at.isoformat(),
    }


def _decoded(data: dict[str, Any]) -> Published:
    settings: dict[tuple, Setting] = {}
    counts = {}
    for (dim, value), rest, count in data["counts"]:
        setting = settings.setdefault((dim, value), Setting(Dim(dim) if dim else None, value))
        counts[(setting, *rest)] = count
    return Published(
        counts=counts,
        options={Dim(dim): values for dim, values in data["options"].items()},
        months=data["months"],
        k=data["k"],
        computed_at=datetime.fromisoformat(data["computed_at"]),
    )
