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
