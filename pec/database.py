"""The database: the peewee proxy every model is bound to, how a URL is opened (SQLite
with its pragmas, or PostgreSQL), the one way to open a write transaction, and schema
migrations. No Flask here: the web app binds it in `init_app`, tests and scripts with
`db.initialize(open_database(url))`.
"""

import os
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

from peewee import Case, DatabaseProxy, Node, SqliteDatabase, chunked
from playhouse.db_url import connect
from playhouse.migrations import Runner
from playhouse.pool import PooledSqliteDatabase

from pec import model_rows

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


class _PooledSqliteDatabase(PooledSqliteDatabase):
    """The pool, safe across fork(): a SQLite connection must never be used by two
    processes, so a forked child (a gunicorn worker of a `--preload` master whose
    scheduler ran a query) forgets the parent's connections and opens its own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (pool := ref()) and pool._forget_all())

    def _forget_all(self) -> None:
        self._connections = []
        self._in_use = {}
        self._state.reset()
        # a lock another thread of the parent held at fork() time stays held in the child
        self._lock = threading.Lock()
        self._pool_lock = threading.RLock()
        self._pool_available = threading.Condition(self._pool_lock)


def open_database(url: str, *, pooled: bool = False):
    """A peewee database for a URL: SQLite with our pragmas, or PostgreSQL.

    `pooled` (the web app): a closed SQLite connection goes back to a pool instead of
    being closed, so a request reuses one whose pragmas are already set rather than
    opening a file and running five PRAGMAs. Each connection serves one thread at a
    time (taken at the request's first query, given back at its end, any transaction
    left open rolled back), so it may move between a server's threads; SQLite in WAL
    mode gives every new read transaction the latest committed data."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        if pooled and path != ":memory:":
            return _PooledSqliteDatabase(
                path,
                pragmas=SQLITE_PRAGMAS,  # busy_timeout: writers queue up to 5 s here too
                check_same_thread=False,
                max_connections=None,  # one per request thread at most
                stale_timeout=None,
            )
        return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=5)
    if url.startswith("postgresql://"):
        url = "postgres://" + url[len("postgresql://") :]
    return connect(url)


@dataclass(frozen=True)
class _Named:
    name: str


class Slot(Node):
    """A parameter of a `Prepared` query: named where the query is written, given its
    value (as the column stores it: an id, a string) each time the query runs."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name

    def __sql__(self, ctx):
        return ctx.value(_Named(self.name), converter=False)


def slots(name: str, size: int) -> list[Slot]:
    """`size` Slots for an `IN (...)` of at most `size` values (see `Prepared.padded`)."""
    return [Slot(f"{name}.{i}") for i in range(size)]


class Prepared:
    """A select that a page runs on every request, its SQL written by peewee once per
    kind of database and reused with new values.

    peewee writes a query's SQL anew each time it runs, about 10 µs per selected column:
    more than SQLite takes to run it. `build()` returns the query with a `Slot` where each
    value goes; calling the Prepared with those values runs the SQL written the first
    time, and rows come back as the query itself would give them (models with their
    joined models).

    peewee also works out, for each run, which column goes to which model of a join
    (its cursor wrapper's `initialize()`): the same answer for the same SQL, so it is
    kept from the first run that returned a row, and the next runs build their rows from
    it (pec.model_rows; peewee's own wrapper, given the layout, for what that does not
    build)."""

    # What a cursor wrapper holds about the one run (the rest is the SQL's row layout).
    _PER_RUN = frozenset({"cursor", "count", "index", "initialized", "populated", "row_cache"})

    def __init__(self, build):
        self._build = build
        self._written: dict[type, tuple] = {}
        self._layouts: dict[type, dict] = {}
        self._builders: dict[type, object] = {}

    def __call__(self, **values) -> list:
        """The query's rows for these values."""
        database = db.obj
        kind = type(database)
        written = self._written.get(kind)
        if written is None:
            query = self._build()
            sql, params = query.sql()
            written = self._written[kind] = (query, sql, tuple(params))
        query, sql, params = written
        filled = [values[p.name] if isinstance(p, _Named) else p for p in params]
        cursor = database.execute_sql(sql, filled)
        build = self._builders.get(kind)
        if build is not None:
            rows = cursor.fetchall()
            cursor.close()  # as peewee's wrapper does once it has read the last row
            return build(rows)
        description = cursor.description  # read before the wrapper closes the cursor
        wrapper = query._get_cursor_wrapper(cursor)
        layout = self._layouts.get(kind)
        if layout is not None:
            wrapper.__dict__.update(layout)
            wrapper.initialized = True
        rows = list(wrapper)
        if layout is None and wrapper.initialized:
            self._layouts[kind] = {
                k: v for k, v in wrapper.__dict__.items() if k not in self._PER_RUN
            }
            build = model_rows.builder(wrapper)
            if build is not None:
                if model_rows.CHECK:
                    build = model_rows.checked(build, query, description)
                self._builders[kind] = build
        return rows

    def padded(self, name: str, size: int, values, **others) -> list | None:
        """The rows for an `IN (...)` written with `slots(name, size)`, given up to `size`
        values: the unused slots are NULL, which equals nothing. None when there are
        more values than slots (the caller then runs the query unprepared)."""
        values = list(values)
        if len(values) > size:
            return None
        filled = {f"{name}.{i}": v for i, v in enumerate(values + [None] * (size - len(values)))}
        return self(**filled, **others)

    def first(self, **values):
        """The first row for these values, or None."""
        rows = self(**values)
        return rows[0] if rows else None


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


def bulk_update(model, updates: list[tuple[int, dict]], *, only_if=None, size: int = 200) -> int:
    """Many rows' different new values in a few UPDATE … SET f = CASE id … statements;
    returns how many rows changed. `only_if` = (field, {row id: value}): a row changes
    only while that field still holds the value it had when read (compare-and-set; the
    caller compares the count with the rows it meant to change)."""
    changed = 0
    for chunk in chunked(updates, size):
        names = sorted({name for _id, changes in chunk for name in changes})
        assignments = {}
        for name in names:
            field = model._meta.fields[name]
            cases = [
                (row_id, _case_value(field, changes[name]))
                for row_id, changes in chunk
                if name in changes
            ]
            assignments[field] = Case(model.id, cases, field)
        ids = [row_id for row_id, _changes in chunk]
        where = model.id.in_(ids)
        if only_if is not None:
            field, expected = only_if
            cases = [(row_id, _case_value(field, expected[row_id])) for row_id in ids]
            # The CASE on the left: on the right, its WHEN ids would go through the
            # field's conversion (an enum's, say) as if they were its values.
            where &= Case(model.id, cases) == field
        changed += model.update(assignments).where(where).execute()
    return changed


def _case_value(field, value):
    # A value as its column stores it (an enum's text, a JSON document), typed where
    # PostgreSQL cannot tell a CASE branch's type; an expression stays one.
    return value if isinstance(value, Node) else field.case_value(value)


def migrate() -> list[str]:
    """Apply pending schema migrations; returns the names applied."""
    with db.connection_context():
        return Runner(db.obj, MIGRATIONS_DIR).up()


def pending_migrations() -> list[str]:
    with db.connection_context():
        return [m.name for m in Runner(db.obj, MIGRATIONS_DIR).status() if not m.applied]


def init_app(app) -> None:
    """Bind the proxy to the configured database. A request takes a connection at its
    first query (peewee connects on demand: a static file or a page that needs no data
    takes none) and gives it back when it ends."""
    db.initialize(open_database(app.config["PEC_DATABASE_URL"], pooled=True))

    @app.teardown_appcontext
    def _close(exc):
        if not db.is_closed():
            db.close()
