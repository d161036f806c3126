"""Isolation in depth: tenant resolution, the ORM safety net, and PostgreSQL row-level security."""

from __future__ import annotations

import os

import pytest
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.pool import NullPool

from pelvicoach.platform.accounts import User
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.rls import tenant_tables
from pelvicoach.platform.tenancy import (
    TenantMismatchError,
    bind,
    binding_key,
    filtered_by_tenant,
    tenant_context,
)
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.tenants.services import add_domain


@pytest.fixture
def app_connection(database_url):
    """A raw connection as the app's database role, outside the ORM and its filters."""
    engine = create_engine(database_url, poolclass=NullPool)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def _as_tenant(connection, tenant_id):
    bind(connection, tenant_id, binding_key(os.environ["PELVICOACH_SECRET_KEY"]))


def test_the_app_role_cannot_bypass_row_level_security(app_connection):
    row = app_connection.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    ).one()
    assert tuple(row) == (False, False)


def test_every_tenant_table_has_forced_row_level_security(app_connection):
    tables = tenant_tables(app_connection)
    assert {"patients", "users", "audit_events", "outbox_jobs", "api_keys"} <= set(tables)
    flags = app_connection.execute(
        text(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
            " WHERE relname = ANY(:names)"
        ),
        {"names": list(tables)},
    ).all()
    assert {name for name, enabled, forced in flags if enabled and forced} == set(tables)


def test_raw_sql_as_tenant_b_sees_none_of_tenant_as_rows(two_tenants, app_connection):
    linde, horizon = two_tenants
    with app_connection.begin():
        _as_tenant(app_connection, horizon.id)
        counts = {}
        for table in tenant_tables(app_connection):
            query = text(f'SELECT tenant_id FROM "{table}"')
            rows = app_connection.execute(query).scalars().all()
            assert linde.id not in rows, table
            counts[table] = len(rows)
    assert counts["patients"] == 1
    assert counts["users"] == 2
    assert counts["audit_events"] == 1


def test_no_tenant_set_means_no_tenant_rows(two_tenants, app_connection):
    assert app_connection.execute(text("SELECT count(*) FROM patients")).scalar() == 0
    assert app_connection.execute(text("SELECT count(*) FROM users")).scalar() == 0


def test_row_level_security_refuses_writing_into_another_tenant(two_tenants, app_connection):
    linde, horizon = two_tenants
    insert = text(
        "INSERT INTO patients (tenant_id, pseudonym, cohort, birth_year, phase)"
        " VALUES (:t, 'PSNEAKY01', 'postpartum', 1990, 'training')"
    )
    with app_connection.begin():
        _as_tenant(app_connection, horizon.id)
        with pytest.raises(ProgrammingError, match="row-level security"):
            app_connection.execute(insert, {"t": linde.id})


def test_audit_rows_cannot_be_changed_or_removed_by_the_app(two_tenants, app_connection):
    linde, _horizon = two_tenants
    for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        with app_connection.begin():
            _as_tenant(app_connection, linde.id)
            with pytest.raises(DBAPIError, match="permission denied"):
                app_connection.execute(text(statement))


def test_the_orm_adds_the_tenant_filter_on_its_own(two_tenants, app):
    _linde, horizon = two_tenants
    with app.app_context(), tenant_context(horizon.id, database.session):
        # deliberately no tenant filter in these queries
        pseudonyms = database.session.scalars(select(Patient.pseudonym)).all()
        emails = database.session.scalars(select(User.email)).all()
        database.session.rollback()
    assert len(pseudonyms) == 1
    assert all(email.startswith("b-") for email in emails)


def test_a_statement_built_once_with_the_tenant_filter_reads_each_executions_tenant(
    two_tenants, app
):
    linde, horizon = two_tenants
    built = filtered_by_tenant(select(Patient.tenant_id))
    executed = []

    def seen(state) -> None:  # after the safety net's own listener
        executed.append(state.statement)

    event.listen(FlaskSession, "do_orm_execute", seen)
    try:
        with app.app_context():
            for tenant in (linde, horizon, linde):
                with tenant_context(tenant.id, database.session):
                    assert database.session.scalars(built).all() == [tenant.id]
            database.session.rollback()
    finally:
        event.remove(FlaskSession, "do_orm_execute", seen)
    # The filter was not added again: the statement, and its computed cache key, stay as built.
    assert sum(statement is built for statement in executed) == 3


def test_a_flush_refuses_a_row_of_another_tenant(two_tenants, app):
    linde, horizon = two_tenants
    with app.app_context():
        with tenant_context(linde.id, database.session):
            patient = database.session.scalars(select(Patient)).one()
        # The block's closing flush writes as horizon, and refuses linde's row.
        with pytest.raises(TenantMismatchError), tenant_context(horizon.id, database.session):
            patient.phase = "referred"
        database.session.rollback()


def test_new_rows_get_the_current_tenant(two_tenants, app):
    _linde, horizon = two_tenants
    with app.app_context(), tenant_context(horizon.id, database.session):
        patient = Patient(pseudonym="PNEWROW01", birth_year=1991, cohort="postpartum")
        database.session.add(patient)
        database.session.flush()
        assert patient.tenant_id == horizon.id
        database.session.rollback()


def test_a_block_of_the_tenant_already_bound_does_not_bind_it_again(two_tenants, app):
    """A request's audit event or outbox job is written in a block of the request's own tenant:
    the transaction stays bound as it was (no round trip in or out), and sees the same rows."""
    linde, horizon = two_tenants
    bindings: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if "set_config('app.tenant'" in statement:
            bindings.append(statement)

    with app.app_context():
        engine = database.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            with tenant_context(linde.id, database.session):
                outer = database.session.scalars(select(Patient.pseudonym)).all()
                bound = len(bindings)
                with tenant_context(linde.id, database.session):
                    inner = database.session.scalars(select(Patient.pseudonym)).all()
                assert len(bindings) == bound
                with tenant_context(horizon.id, database.session):  # another: bound, and back
                    theirs = database.session.scalars(select(Patient.pseudonym)).all()
                assert len(bindings) == bound + 2
                database.session.rollback()
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert inner == outer
    assert len(outer) == 1
    assert theirs
    assert set(theirs).isdisjoint(outer)


def _cut_the_connection(owner_engine, *, then_fail: bool = False) -> None:
    pid = database.session.scalar(text("SELECT pg_backend_pid()"))
    with owner_engine.connect() as owner:
        owner.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    if then_fail:
        raise ZeroDivisionError


def test_a_connection_cut_inside_a_tenant_block_is_an_error_where_it_ends(
    two_tenants, app, owner_engine
):
    """The server ends the connection while the block works (a restart): leaving the block,
    re-binding the outer tenant fails, and that is the first error, so it must come up as the
    database being unavailable, not wait for the commit to fail as a rollback pending (a 500)."""
    linde, horizon = two_tenants
    with app.app_context(), tenant_context(linde.id, database.session):
        with pytest.raises(OperationalError), tenant_context(horizon.id, database.session):
            _cut_the_connection(owner_engine)
        database.session.rollback()
        # The block that failed still hides a second error behind its first.
        with pytest.raises(ZeroDivisionError), tenant_context(horizon.id, database.session):
            _cut_the_connection(owner_engine, then_fail=True)
        database.session.rollback()


# --- resolution -------------------------------------------------------------------------------


def test_a_tenant_by_subdomain(client, two_tenants):
    page = client.get("/login", base_url="http://linde.pelvicoach.test")
    assert page.status_code == 200
    assert "Praktijk De Linde" in page.text
    assert 'href="/forgot-password"' in page.text  # links follow the form the request used


def test_a_tenant_by_custom_domain(client, two_tenants, db):
    linde, _horizon = two_tenants
    add_domain(linde, "Bekkenbodem.DeLinde.nl")
    database.session.commit()
    page = client.get("/login", base_url="https://bekkenbodem.delinde.nl")
    assert "Praktijk De Linde" in page.text
    assert 'href="/forgot-password"' in page.text


def test_a_tenant_by_path(client, two_tenants):
    page = client.get("/t/horizon/login")
    assert "Zorgverzekeraar Horizon" in page.text
    assert 'href="/t/horizon/forgot-password"' in page.text


def test_one_host_never_serves_another_tenants_path(client, two_tenants):
    assert (
        client.get("/t/horizon/login", base_url="http://linde.pelvicoach.test").status_code == 404
    )


def test_unknown_subdomain_is_a_404(client, two_tenants):
    assert client.get("/login", base_url="http://nobody.pelvicoach.test").status_code == 404


def test_health_checks_answer_on_ip_addresses_and_unknown_hosts_get_nothing(client, two_tenants):
    assert client.get("/healthz", base_url="http://10.1.2.3:8000").status_code == 200
    assert client.get("/readyz", base_url="http://[::1]:8000").status_code == 200
    # A forged Host must not get pages (nor reset links built on it), not even via the path;
    # outside the local demo an IP address or localhost is no known host either.
    for host in ("evil.example", "10.1.2.3:8000", "127.0.0.1", "[::1]:8000", "localhost"):
        assert client.get("/t/linde/login", base_url=f"http://{host}").status_code == 404, host
        assert client.get("/login", base_url=f"http://{host}").status_code == 404, host


def test_reserved_and_taken_domains(two_tenants, db):
    from pelvicoach.tenants.services import TenantError, create_tenant

    linde, horizon = two_tenants
    add_domain(linde, "coach.delinde.nl")
    database.session.commit()
    with pytest.raises(TenantError) as taken:
        add_domain(horizon, "coach.delinde.nl")
    assert "coach.delinde.nl" in taken.value.problems["domain"]
    with pytest.raises(TenantError) as reserved:
        create_tenant(slug="www", name="X", kind="practice")
    assert "www" in reserved.value.problems["slug"]


def test_role_assignments_and_tenants_are_guarded_too(two_tenants, app_connection):
    linde, horizon = two_tenants
    with app_connection.begin():
        _as_tenant(app_connection, horizon.id)
        roles = (
            app_connection.execute(
                text("SELECT u.tenant_id FROM user_roles r JOIN users u ON u.id = r.user_id")
            )
            .scalars()
            .all()
        )
        assert set(roles) == {horizon.id}
        assert app_connection.execute(text("SELECT count(*) FROM user_roles")).scalar() == 2
        changed = app_connection.execute(
            text("UPDATE tenants SET brand_color = '#000000' WHERE id = :id"), {"id": linde.id}
        )
        assert changed.rowcount == 0
    with app_connection.begin(), pytest.raises(DBAPIError, match="permission denied"):
        app_connection.execute(text("DELETE FROM tenants"))


def test_log_lines_do_not_carry_reset_tokens(client, two_tenants, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="pelvicoach.request"):
        client.get("/t/linde/reset-password/secret-token-value-123")
    lines = [r.getMessage() for r in caplog.records if r.name == "pelvicoach.request"]
    assert lines
    assert all("secret-token-value-123" not in line for line in lines)
    assert any("/reset-password/***" in line for line in lines)


def test_a_reset_request_on_an_unknown_host_is_refused_and_sends_nothing(
    make_app, db, make_tenant, make_patient
):
    from pelvicoach.platform.outbox import OutboxJob

    make_patient(make_tenant("linde"), "sanne@example.nl")
    production = make_app(PELVICOACH_MODE="production", PROXY_HOPS=1).test_client()
    for host in ("https://203.0.113.9", "https://localhost", "https://evil.example"):
        answer = production.post(
            "/t/linde/forgot-password", data={"email": "sanne@example.nl"}, base_url=host
        )
        assert answer.status_code == 404, host
    forwarded = production.post(
        "/t/linde/forgot-password",
        data={"email": "sanne@example.nl"},
        base_url="https://pelvicoach.test",
        headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
    )
    assert forwarded.status_code == 404  # a trusted proxy's forwarded host is checked alike
    assert database.session.scalars(select(OutboxJob)).all() == []


@pytest.mark.parametrize(
    ("site", "path", "link"),
    [
        # Production: HTTPS on its default port, whatever port the Host header names.
        ("https://linde.pelvicoach.test:8443", "/", "https://linde.pelvicoach.test/"),
        ("https://pelvicoach.test", "/t/linde/", "https://pelvicoach.test/t/linde/"),
        ("https://coach.delinde.nl", "/", "https://coach.delinde.nl/"),
    ],
)
def test_mailed_links_point_at_the_configured_host_of_the_request(
    mail_app, db, make_tenant, make_patient, run_jobs, site, path, link
):
    linde = make_tenant("linde")
    add_domain(linde, "coach.delinde.nl")
    database.session.commit()
    make_patient(linde, "sanne@example.nl")
    mail_app.config.update(PELVICOACH_MODE="production")
    client = mail_app.test_client()
    answer = client.post(
        f"{path}forgot-password", data={"email": "sanne@example.nl"}, base_url=site
    )
    assert answer.status_code == 302
    run_jobs(mail_app)
    (message,) = mail_app.mailbox.messages
    assert f"{link}reset-password/" in message.get_content()


def test_the_local_demo_also_answers_on_localhost_and_loopback(make_app, db, make_tenant):
    make_tenant("linde")
    demo = make_app(PELVICOACH_MODE="demo").test_client()
    for host in ("http://localhost:5000", "http://127.0.0.1:5000", "http://[::1]:5000"):
        assert demo.get("/t/linde/login", base_url=host).status_code == 200, host
    assert demo.get("/t/linde/login", base_url="http://192.0.2.1:5000").status_code == 404
