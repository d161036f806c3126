"""The report read from a real streaming replica (pg_basebackup of a cluster of the test's own,
on another port): the same counts as the primary gives; while the replica lags behind (replay
paused) the report waits for it a moment, then counts on the primary, so the women enrolled
meanwhile are never missing; a replica gone leaves the report to the primary too."""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime

import pytest
from faker import Faker
from own_postgres import migrated

from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.seed import add_women, seed
from pelvicoach.reporting import population
from pelvicoach.tenants.models import Tenant

WAIT = 1.0  # seconds the report waits for the replica


def counted(app, tenant_id: int) -> int:
    """The women the report counts, as the app computes them."""
    with app.app_context(), tenant_context(tenant_id, database.session):
        tenant = database.session.get(Tenant, tenant_id)
        women = population.gather(tenant.id, tenant.time_zone, datetime.now(UTC)).women
        database.session.commit()
        return int(women["n"].sum())


@pytest.fixture
def caplog(caplog):
    """The replica's log lines too: the "pelvicoach" loggers do not propagate to the root."""
    logger = logging.getLogger("pelvicoach.reporting.replica")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger=logger.name)
    yield caplog
    logger.removeHandler(caplog.handler)


def test_reports_read_the_replica_once_it_has_the_facts(own_postgres, make_app, caplog):
    roles = migrated(own_postgres, make_app)
    platform = make_app(platform=True, SQLALCHEMY_DATABASE_URI=own_postgres.url(roles[1]))
    with platform.app_context():
        (tenant,) = seed(1, 60)
        tenant_id = tenant.id
        database.engine.dispose()
    replica = own_postgres.streaming_replica()
    primary_only = make_app(SQLALCHEMY_DATABASE_URI=own_postgres.url(roles[0]))
    web = make_app(
        SQLALCHEMY_DATABASE_URI=own_postgres.url(roles[0]),
        SQLALCHEMY_BINDS={"reporting": {"url": replica.url(roles[0])}},
        REPORTING_REPLICA_WAIT=WAIT,
    )

    # Caught up: the replica counts, the same women as the primary
    assert counted(web, tenant_id) == counted(primary_only, tenant_id) == 60
    assert "report read from the replica" in caplog.text

    # Replay paused: women enrolled now reach the primary only; the report waits, then the
    # primary counts them
    replica.execute("SELECT pg_wal_replay_pause()")
    with platform.app_context(), tenant_context(tenant_id, database.session):
        tenant = database.session.get(Tenant, tenant_id)
        fake, now = Faker("nl_NL"), datetime.now(UTC)
        add_women(tenant, 5, [None], random.Random(1), fake, now, None, first=61)
        database.session.commit()
        database.engine.dispose()
    caplog.clear()
    started = time.monotonic()
    assert counted(web, tenant_id) == 65
    assert time.monotonic() - started >= WAIT
    assert "replica still behind" in caplog.text
    assert "report read from the replica" not in caplog.text

    # Replay resumed: the replica catches up and counts again
    replica.execute("SELECT pg_wal_replay_resume()")
    caplog.clear()
    assert counted(web, tenant_id) == 65
    assert "report read from the replica" in caplog.text

    # The replica gone: the primary counts, at once
    replica.stop()
    caplog.clear()
    assert counted(web, tenant_id) == 65
    assert "the primary reports" in caplog.text  # refused at connect, or cut off at its query
