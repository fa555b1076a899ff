"""The database: one connection per request, pragmas for SQLite, migrations (NOTES.md)."""

from pathlib import Path

from flask import Flask
from peewee import PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import connect
from playhouse.migrations import Runner

from pec.extensions import db

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "cache_size": -64000,
    "synchronous": "full",
    "busy_timeout": 5000,
}


def open_database(url: str):
    """A peewee database for a URL: SQLite with our pragmas, or PostgreSQL."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=5)
    if url.startswith("postgresql://"):
        url = "postgres://" + url[len("postgresql://") :]
    return connect(url)


def is_sqlite() -> bool:
    return isinstance(db.obj, SqliteDatabase)


def is_postgres() -> bool:
    return isinstance(db.obj, PostgresqlDatabase)


def migrate() -> list[str]:
    """Apply pending schema migrations; returns the names applied."""
    with db.connection_context():
        return Runner(db.obj, MIGRATIONS_DIR).up()


def pending_migrations() -> list[str]:
    with db.connection_context():
        return [m.name for m in Runner(db.obj, MIGRATIONS_DIR).status() if not m.applied]


def init_app(app: Flask) -> None:
    db.initialize(open_database(app.config["PEC_DATABASE_URL"]))

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_appcontext
    def _close(exc):
        if not db.is_closed():
            db.close()
