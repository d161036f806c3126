"""A PostgreSQL cluster of a test's own (the suite's server stays up), for what a test cannot do
to a shared server: stop and start it, or stream a replica from it. `initdb` and `pg_ctl` run as
the postgres user (they refuse root), in a directory it owns, on a free port, fsync off.

Used as a pytest plugin (`pytest_plugins` in conftest.py): the fixture `own_postgres`."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from glob import glob
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from flask_migrate import upgrade
from http_helpers import free_port

from pelvicoach.platform.extensions import db as database

PG_BIN = Path(sorted(glob("/usr/lib/postgresql/*/bin"))[-1])


def _as_postgres(*command: object) -> None:
    subprocess.run(
        ["runuser", "-u", "postgres", "--", *map(str, command)],
        check=True,
        capture_output=True,
        timeout=120,
    )


class Cluster:
    """One server: a data directory under `root`, listening on 127.0.0.1:`port`."""

    def __init__(self, root: Path, name: str) -> None:
        self.root, self.data, self.port = root, root / name, free_port()
        self.log = root / f"{name}.log"
        self.replicas: list[Cluster] = []
        self.options = (
            f"-p {self.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c full_page_writes=off -c synchronous_commit=on"
        )

    def url(self, role: str = "postgres", name: str = "pelvicoach") -> str:
        return f"postgresql+psycopg://{role}@127.0.0.1:{self.port}/{name}"

    def execute(self, sql: str, name: str = "postgres") -> list[tuple]:
        """Run `sql` as the superuser (autocommit), returning its rows."""
        dsn = self.url(name=name).replace("+psycopg", "")
        with psycopg.connect(dsn, autocommit=True) as connection:
            cursor = connection.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def ctl(self, *args: str) -> None:
        _as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-o", self.options, "-w", *args)

    def start(self) -> None:
        self.ctl("-l", str(self.log), "start")

    def stop(self, mode: str = "fast") -> None:
        self.ctl("-m", mode, "stop")

    def restart(self, down_for: float = 1.0) -> None:
        """Down for a while at least: a bare restart can be over before any client notices."""
        self.stop()
        time.sleep(down_for)
        self.start()

    def streaming_replica(self) -> Cluster:
        """A hot standby of this server, copied with pg_basebackup and streaming from it."""
        replica = Cluster(self.root, f"replica-{len(self.replicas)}")
        self.replicas.append(replica)
        _as_postgres(
            PG_BIN / "pg_basebackup",
            *("-h", "127.0.0.1", "-p", self.port, "-U", "postgres"),
            *("-D", replica.data, "-R", "-X", "stream", "-c", "fast", "--no-sync"),
        )
        replica.start()
        return replica


@pytest.fixture
def own_postgres() -> Iterator[Cluster]:
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.fail("this test starts its own PostgreSQL as the postgres user: needs root")
    root = Path(tempfile.mkdtemp(prefix="pelvicoach-pg-"))
    root.chmod(0o755)
    shutil.chown(root, "postgres")
    primary = Cluster(root, "data")
    _as_postgres(
        PG_BIN / "initdb",
        *("-D", primary.data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"),
    )
    primary.start()
    try:
        yield primary
    finally:
        for server in (*primary.replicas, primary):
            if (server.data / "postmaster.pid").exists():
                server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def migrated(cluster: Cluster, make_app: Callable[..., Flask], **settings: object) -> list[str]:
    """The database `pelvicoach` on `cluster`, with the app's and the platform's roles (as the
    suite names them), migrated by the owner; returns the two roles."""
    migrating = make_app(
        SQLALCHEMY_DATABASE_URI=cluster.url(), MIGRATION_DATABASE_URL=cluster.url(), **settings
    )
    roles = [migrating.config["DATABASE_APP_ROLE"], migrating.config["DATABASE_PLATFORM_ROLE"]]
    cluster.execute("CREATE DATABASE pelvicoach")
    for role in roles:
        cluster.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS')
    with migrating.app_context():
        upgrade()
        database.engine.dispose()
    return roles
