"""The one way domain code opens a write transaction (NOTES.md "peewee and SQLite")."""

from peewee import SqliteDatabase

from pec.extensions import db


def write_transaction():
    """A short write transaction. On SQLite it takes the write lock at BEGIN (IMMEDIATE),
    so concurrent writers queue on the busy timeout instead of failing when a read lock
    is upgraded; nested, it is a savepoint. Never put a network call inside."""
    if isinstance(db.obj, SqliteDatabase):
        return db.atomic("IMMEDIATE")
    return db.atomic()
