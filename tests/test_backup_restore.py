"""`pec backup` then `pec restore` gives back the very same rows, on SQLite and PostgreSQL."""

from pec.database import db
from pec.models import ALL_MODELS, Convention, Mailbox, OutboxMessage
from tests.factories import make_mailbox


def every_row() -> dict:
    with db.connection_context():
        return {
            model._meta.table_name: list(model.select().order_by(model._meta.primary_key).tuples())
            for model in ALL_MODELS
        }


def test_backup_then_restore_gives_back_the_same_rows(any_app, tmp_path, today):
    runner = any_app.test_cli_runner()
    assert runner.invoke(args=["pec", "demo"]).exit_code == 0
    assert runner.invoke(args=["pec", "jobs", "run", "--today", "2026-03-10"]).exit_code == 0
    saved = every_row()
    assert saved["mailbox"] and saved["outbox_message"] and saved["job_run"]

    backup = tmp_path / "backups" / "pec.backup"
    result = runner.invoke(args=["pec", "backup", str(backup)])
    assert result.exit_code == 0, result.output

    # Life goes on after the backup (and something goes wrong).
    with db.connection_context():
        OutboxMessage.delete().execute()
        Convention.update(price_cents=999).execute()
        make_mailbox(Mailbox.select().first().account, address="new@pec.demo.it")
    assert every_row() != saved

    refused = runner.invoke(args=["pec", "restore", str(backup)], input="n\n")
    assert refused.exit_code != 0 and every_row() != saved  # asks first
    result = runner.invoke(args=["pec", "restore", "--yes", str(backup)])
    assert result.exit_code == 0, result.output
    assert every_row() == saved
