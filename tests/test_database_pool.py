"""The web app's pooled SQLite connections: reused between requests, never touched by a
static file, never shared with a forked process."""

import os

from pec.database import db, open_database


def test_a_request_gives_its_connection_back_for_the_next_one(app, client):
    client.get("/login")
    pool = db.obj
    assert db.is_closed()
    assert len(pool._connections) == 1 and not pool._in_use
    first = pool._connections[0][2]
    client.get("/login")
    assert pool._connections[0][2] is first  # the same connection, pragmas already set


def test_a_static_file_takes_no_connection(app, client):
    pool = db.obj
    pool.close_all()
    response = client.get("/static/app.css")
    assert response.status_code == 200
    response.close()
    assert not pool._connections and not pool._in_use


def test_a_forked_child_opens_its_own_connection(tmp_path):
    pool = open_database(f"sqlite:///{tmp_path / 'fork.sqlite3'}", pooled=True)
    pool.connect()
    parents = pool.connection()
    pool.close()  # back to the pool, still open
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: must not reuse the parent's connection
        try:
            pool.connect()
            same = pool.connection() is parents
            answer = pool.execute_sql("SELECT 41 + 1").fetchone()[0]
            os.write(write, b"same" if same else str(answer).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 16) == b"42"
    os.close(read)
    pool.close_all()
