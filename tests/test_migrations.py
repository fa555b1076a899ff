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
