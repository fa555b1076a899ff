"""The database: the peewee proxy every model is bound to, how a URL is opened (SQLite
with its pragmas, or PostgreSQL), the one way to open a write transaction, and schema
migrations. No Flask here: the web app binds it in `init_app`, tests and scripts with
`db.initialize(open_database(url))`.
"""

from pathlib import Path

from peewee import DatabaseProxy, SqliteDatabase
from playhouse.db_url import connect
from playhouse.migrations import Runner

db = DatabaseProxy()

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")

# WAL lets readers run beside the one writer; foreign keys are off by default in SQLite;
# FULL sync survives a power cut at our write rate; writers queue up to 5 s for the lock.
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


def write_transaction():
    """The one way to open a write transaction: short, with no network call inside.

    On SQLite it takes the write lock at BEGIN (IMMEDIATE): a deferred transaction that
    reads and then writes cannot upgrade its read lock while another writer holds the
    database, and fails at once with "database is locked" instead of waiting for the busy
    timeout. Nested, it is a savepoint."""
    if is_sqlite():
        return db.atomic("IMMEDIATE")
    return db.atomic()


def migrate() -> list[str]:
    """Apply pending schema migrations; returns the names applied."""
    with db.connection_context():
        return Runner(db.obj, MIGRATIONS_DIR).up()


def pending_migrations() -> list[str]:
    with db.connection_context():
        return [m.name for m in Runner(db.obj, MIGRATIONS_DIR).status() if not m.applied]


def init_app(app) -> None:
    """Bind the proxy to the configured database; one connection per request."""
    db.initialize(open_database(app.config["PEC_DATABASE_URL"]))

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_appcontext
    def _close(exc):
        if not db.is_closed():
            db.close()
