"""The Flask extension objects, created unbound so any module can import them without an app."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum as PyEnum
from typing import Annotated, Any

from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf import CSRFProtect
from psycopg.types.json import Json
from sqlalchemy import BigInteger, Enum, Integer, MetaData, bindparam, literal, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, mapped_column

# Deterministic constraint names keep Alembic autogenerate and SQLite batch migrations stable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Ids of tables that grow without bound. SQLite only auto-increments a column declared exactly
# INTEGER, so the demo gets that; PostgreSQL gets BIGINT.
BIG_ID = BigInteger().with_variant(Integer, "sqlite")
# The primary key of such a table: `id: Mapped[BigId]`.
BigId = Annotated[int, mapped_column(BIG_ID, primary_key=True)]


def enum_column(enum: type[PyEnum], name: str, length: int = 16) -> Enum:
    """A string column holding `enum`'s values, checked by a named CHECK constraint: readable
    in SQL and in exports, portable to SQLite, and no PostgreSQL type to alter when it grows."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def as_utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime: SQLite hands back naive UTC, PostgreSQL aware."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)
bootstrap = Bootstrap5()
talisman = Talisman()


def insert_once(
    model: type,
    values: dict[str, Any],
    unique: list[str],
    returning: Any = None,
    *,
    unless: Any = None,
) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id (or `returning`), in one statement on
    PostgreSQL and SQLite alike: the new row's id, or None when a row with the same `unique`
    key exists (or the condition `unless` holds). For writes a device may send twice (a double
    tap, an offline queue replayed)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model)
    if unless is None:
        statement = insert.values(**values)
    else:
        columns = model.__table__.c  # type: ignore[attr-defined]
        row = select(*(literal(value, columns[name].type) for name, value in values.items()))
        statement = insert.from_select(list(values), row.where(~unless))
    return db.session.scalar(
        statement.on_conflict_do_nothing(index_elements=unique).returning(
            model.id if returning is None else returning  # type: ignore[attr-defined]
        )
    )


def insert_all_once(model: type, rows: list[dict[str, Any]], unique: list[str]) -> None:
    """Many rows in one statement, those already there (by `unique`) skipped."""
    insert_all(model, rows, unique=unique)


def insert_all(
    model: type, rows: list[dict[str, Any]], *, unique: list[str] | None = None, ids: bool = False
) -> list[int]:
    """Many rows in one statement: on PostgreSQL the rows travel as one array per column
    (INSERT ... SELECT FROM unnest), one round trip and one small statement however many rows
    (a multi-row VALUES of thousands of rows cost more to build than to run); elsewhere an
    executemany. With `unique`, rows already there are skipped. With `ids`, the new rows' ids
    in the order of `rows` (on PostgreSQL drawn from the table's sequence first)."""
    if not rows:
        return []
    dialect = db.session.get_bind().dialect
    table = model.__table__  # type: ignore[attr-defined]
    if dialect.name != "postgresql":
        statement = sqlite.insert(model)
        if unique:
            statement = statement.on_conflict_do_nothing(index_elements=unique)
        if ids:
            returning = statement.returning(table.c.id, sort_by_parameter_order=True)
            return list(db.session.scalars(returning, rows))
        db.session.execute(statement, rows)
        return []
    new_ids: list[int] = []
    if ids:
        new_ids = list(
            db.session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id'))"
                    " FROM generate_series(1, :n)"
                ),
                {"table": table.name, "n": len(rows)},
            )
        )
        rows = [{"id": new_id, **row} for new_id, row in zip(new_ids, rows, strict=True)]
    rows = _with_defaults(table, rows)
    names = list(rows[0])
    arrays = ", ".join(
        f"CAST(%(c{n})b AS {table.c[name].type.compile(dialect=dialect)}[])"
        for n, name in enumerate(names)
    )
    values = {f"c{n}": [_array_item(row[name]) for row in rows] for n, name in enumerate(names)}
    conflict = f" ON CONFLICT ({', '.join(unique)}) DO NOTHING" if unique else ""
    # Straight to the driver, in the session's transaction, the arrays in binary (%b): psycopg's
    # text form quotes each string through a regular expression, longer than the INSERT took.
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor:
        cursor.execute(
            f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays})"  # noqa: S608 (model names only)
            + conflict,
            values,
        )
    return new_ids


def _with_defaults(table: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The models' Python-side defaults for the columns the rows leave out, as the ORM's own
    INSERT would fill them (a callable one called for each row)."""
    missing = [
        column
        for column in table.c
        if column.name not in rows[0]
        and column.default is not None
        and (column.default.is_scalar or column.default.is_callable)
    ]
    if not missing:
        return rows
    return [
        {
            **row,
            **{
                column.name: column.default.arg
                if column.default.is_scalar
                else column.default.arg(None)
                for column in missing
            },
        }
        for row in rows
    ]


def _array_item(value: Any) -> Any:
    if isinstance(value, PyEnum):
        return value.value
    if isinstance(value, dict | list):
        return Json(value)
    return value


def update_all(model: type, rows: list[dict[str, Any]], tenant_id: int) -> None:
    """Set columns of many rows of one tenant by id, each its own values, in one statement on
    PostgreSQL (UPDATE ... FROM unnest); elsewhere an executemany."""
    if not rows:
        return
    table = model.__table__  # type: ignore[attr-defined]
    names = [name for name in rows[0] if name != "id"]
    dialect = db.session.get_bind().dialect
    if dialect.name != "postgresql":
        db.session.execute(
            table.update()
            .where(table.c.tenant_id == tenant_id, table.c.id == bindparam("row_id"))
            .values({name: bindparam(name) for name in names}),
            [{"row_id": row["id"], **{name: row[name] for name in names}} for row in rows],
        )
        return
    columns = ["id", *names]
    arrays = ", ".join(
        f"CAST(:c{n} AS {table.c[name].type.compile(dialect=dialect)}[])"
        for n, name in enumerate(columns)
    )
    sets = ", ".join(f"{name} = v.{name}" for name in names)
    db.session.execute(
        text(
            f"UPDATE {table.name} SET {sets} FROM unnest({arrays}) AS v({', '.join(columns)})"  # noqa: S608 (model names only)
            f" WHERE {table.name}.tenant_id = :tenant AND {table.name}.id = v.id"
        ),
        {
            "tenant": tenant_id,
            **{f"c{n}": [row[name] for row in rows] for n, name in enumerate(columns)},
        },
    )
