"""The `pec` commands of README, Commands and Demo logins."""

import sqlite3

from pec.database import db
from pec.models import (
    Account,
    Mailbox,
    Operator,
)


def test_init_db_is_repeatable(runner):
    first = runner.invoke(args=["pec", "init-db"])
    second = runner.invoke(args=["pec", "init-db"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert "0 migration(s) applied" in second.output


def test_demo_is_idempotent_and_has_the_spec_data(app, runner):
    assert runner.invoke(args=["pec", "demo"]).exit_code == 0
    assert runner.invoke(args=["pec", "demo"]).exit_code == 0
    with db.connection_context():
        assert Account.select().count() == 2
        assert Mailbox.select().count() == 4
        assert Operator.get().email == "admin@example.org"
        mario = Account.get(Account.login == "mario.rossi@example.org")
        assert mario.fiscal_code == "RSSMRA80A01H501U"
        assert mario.convention.code == "FNOMCeO"
        assert (
            mario.convention.price_cents,
            mario.convention.vat_rate_bp,
            mario.convention.duration_years,
        ) == (400, 2200, 3)


def test_create_operator_refuses_a_duplicate(app, runner):
    ok = runner.invoke(
        args=["pec", "create-operator", "ops@example.org", "--password", "long-password"]
    )
    again = runner.invoke(
        args=["pec", "create-operator", "ops@example.org", "--password", "long-password"]
    )
    assert ok.exit_code == 0 and again.exit_code != 0 and "already exists" in again.output
    with db.connection_context():
        assert Operator.get(Operator.email == "ops@example.org").role == "operator"


def test_create_operator_takes_the_name_the_area_shows(app, runner):
    result = runner.invoke(
        args=[
            "pec",
            "create-operator",
            "boss@example.org",
            "--role",
            "admin",
            "--name",
            "Giulia Verdi",
            "--password",
            "long-password",
        ]
    )
    assert result.exit_code == 0, result.output
    with db.connection_context():
        boss = Operator.get(Operator.email == "boss@example.org")
        assert (boss.display_name, boss.role, boss.has_two_factor) == (
            "Giulia Verdi",
            "admin",
            False,
        )


def test_backup_writes_a_readable_copy(app, runner, tmp_path):
    runner.invoke(args=["pec", "demo"])
    dest = tmp_path / "backup" / "copy.sqlite3"
    result = runner.invoke(args=["pec", "backup", str(dest)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(dest) as copy:
        assert copy.execute("select count(*) from mailbox").fetchone()[0] == 4
