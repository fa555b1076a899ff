"""Migrations build exactly the schema the models describe, and keep data on upgrade."""

from playhouse.migrations import Runner
from playhouse.schema_diff import diff_models

from pec import database
from pec.database import db
from pec.models import ALL_MODELS


def test_migrations_leave_no_drift_from_the_models(app):
    with db.connection_context():
        diff = diff_models(db.obj, ALL_MODELS)
        assert not diff.create_tables, [m.__name__ for m in diff.create_tables]
        assert not diff.add_columns, [f.name for f in diff.add_columns]
        assert not diff.drop_columns
        assert not diff.add_indexes, diff.add_indexes
        assert not diff.drop_indexes, diff.drop_indexes


def test_nothing_is_pending_after_init(app):
    assert database.pending_migrations() == []


def test_every_migration_can_be_reverted_and_reapplied(app):
    with db.connection_context():
        runner = Runner(db.obj, database.MIGRATIONS_DIR)
        names = [m.name for m in runner.status()]
        runner.down(target=names[0])
        assert database.pending_migrations() == names
    assert database.migrate() == names


def test_0003_keeps_conventions_documents_and_outbox_rows(tmp_path):
    """A database filled under 0001 gains the seller's identity (empty), document
    templates equal to the texts members accepted, and outbox rows without a base URL."""
    from peewee import SqliteDatabase

    path = tmp_path / "old.sqlite3"
    old = SqliteDatabase(str(path), pragmas={"foreign_keys": 1})
    Runner(old, database.MIGRATIONS_DIR).up(target="0001_initial")
    old.execute_sql(
        "INSERT INTO convention (code, name, price_cents, vat_rate_bp, duration_years, "
        "reminder_offsets, restore_window_days, declared_payment_hold_days, "
        "document_retention_days, expiring_window_days, iban, beneficiary, postal_account, "
        "enabled_methods, created_at) VALUES ('C', 'Ordine', 400, 2200, 3, '60', 90, 5, 30, "
        "30, '', '', '', 'card', '2026-01-01 00:00:00')"
    )
    old.execute_sql(
        "INSERT INTO contract_document (convention_id, code, version, title, body, "
        "is_current, created_at) VALUES (1, 'privacy', 1, 'Privacy', 'Il Titolare…', 1, "
        "'2026-01-01 00:00:00')"
    )
    old.execute_sql(
        "INSERT INTO outbox_message (kind, message_id, to_address, subject, body_text, "
        "body_html, language, status, attempts, last_error, next_attempt_at, created_at) "
        "VALUES ('reminder', '<1@x>', 'a@example.org', 'S', 'T', '', 'it', 'pending', 0, '', "
        "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    )
    applied = Runner(old, database.MIGRATIONS_DIR).up()
    assert any(name.startswith("0003") for name in applied)
    seller = old.execute_sql("SELECT seller_name, seller_country, logo FROM convention").fetchone()
    assert seller == ("", "IT", None)
    assert old.execute_sql("SELECT template, body FROM contract_document").fetchone() == (
        "Il Titolare…",
        "Il Titolare…",
    )
    assert old.execute_sql("SELECT base_url, images FROM outbox_message").fetchone() == ("", None)
    old.close()


# --- An upgrade from the previous release ------------------------------------------------

import datetime as dt  # noqa: E402
from decimal import Decimal  # noqa: E402

import pytest  # noqa: E402
from peewee import (  # noqa: E402
    AutoField,
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Table,
    sort_models,
)

from pec.models import EnumField, JSONField  # noqa: E402
from tests.conftest import postgres_database  # noqa: E402

PREVIOUS_RELEASE = "0001_initial"  # the schema the first release shipped
ROWS_PER_TABLE = 3


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request, tmp_path):
    """A database with no schema at all, bound to the models' proxy."""
    if request.param == "sqlite":
        db.initialize(database.open_database(f"sqlite:///{tmp_path / 'old.sqlite3'}"))
        yield
        if not db.is_closed():
            db.close()
        return
    with postgres_database() as url:
        db.initialize(database.open_database(url))
        yield


def _value(field, n: int, parents: dict):
    """A value for `field` in the n-th row: distinct per row (unique columns), valid for
    its type and, for a foreign key, the id of a row of the table it points to."""
    if isinstance(field, ForeignKeyField):
        return parents[field.rel_model._meta.table_name][
            n % len(parents[field.rel_model._meta.table_name])
        ]
    if isinstance(field, EnumField):
        members = list(field.enum_class)
        return members[n % len(members)]
    if isinstance(field, BooleanField):
        return n % 2 == 0
    if isinstance(field, DecimalField):
        return Decimal(n) + Decimal("0.25")
    if isinstance(field, FloatField):
        return n + 0.5
    if isinstance(field, IntegerField):
        return 100 + n
    if isinstance(field, DateTimeField):
        return dt.datetime(2026, 3, 10, 9, n, tzinfo=dt.UTC)
    if isinstance(field, DateField):
        return dt.date(2026, 3, 10) + dt.timedelta(days=n)
    if isinstance(field, JSONField):
        return {"row": n}
    return f"{field.column_name}-{n}"


def fill_previous_schema() -> dict:
    """ROWS_PER_TABLE rows in every table of the schema as it is now (an older one: only
    the columns it has), parents first; returns {table: {id: {column: stored value}}}."""
    filled: dict = {}
    parents: dict = {}
    for model in sort_models(ALL_MODELS):
        table = model._meta.table_name
        if not db.obj.table_exists(table):
            continue
        columns = {c.name for c in db.obj.get_columns(table)}
        pk = model._meta.primary_key
        fields = [
            f for f in model._meta.sorted_fields
            if f.column_name in columns and not isinstance(f, AutoField)
        ]  # fmt: skip
        target = Table(table, [f.column_name for f in model._meta.sorted_fields],
                       primary_key=pk.column_name).bind(db.obj)  # fmt: skip
        filled[table] = {}
        for n in range(ROWS_PER_TABLE):
            row = {f.column_name: f.db_value(_value(f, n, parents)) for f in fields}
            key = target.insert(row).execute()
            key = row.get(pk.column_name, key)
            filled[table][key] = row
        parents[table] = list(filled[table])
    return filled


def test_an_upgrade_from_the_previous_release_finds_every_row(empty_database):
    from playhouse.migrations import Runner

    with db.connection_context():
        runner = Runner(db.obj, database.MIGRATIONS_DIR)
        runner.up(target=PREVIOUS_RELEASE)
        assert [m.name for m in runner.status() if m.applied] == [PREVIOUS_RELEASE]
        filled = fill_previous_schema()
        tables = {t for t in db.obj.get_tables() if t != runner.History._meta.table_name}
    assert set(filled) == tables and len(tables) >= 17  # every table of that release
    assert all(len(rows) == ROWS_PER_TABLE for rows in filled.values())

    applied = database.migrate()  # whatever migrations exist after the first release
    assert database.pending_migrations() == []
    with db.connection_context():
        for model in ALL_MODELS:
            table = model._meta.table_name
            if table not in filled:
                continue
            pk = model._meta.primary_key
            fields = {f.column_name: f for f in model._meta.sorted_fields}
            found = {getattr(row, pk.name): row for row in model.select()}
            assert set(found) == set(filled[table]), (table, applied)
            for key, stored in filled[table].items():
                for column, value in stored.items():
                    field = fields[column]
                    now = field.db_value(getattr(found[key], field.name))
                    assert field.python_value(now) == field.python_value(value), (
                        table, key, column, applied
                    )  # fmt: skip
