"""A flaskr-style page (Flask's tutorial app, its blog index): a signed session cookie
read on each request, one indexed SQLite query returning 20 rows on a connection opened
for the request, a Jinja template extending a base, gzipped the usual way, by
Flask-Compress (the standard library's zlib at its default level, 6, for answers of 256
bytes or more; the portal gzips its pages itself, with zlib-ng at level 4: pec/web.py).
This is the page docs/rules.md, Qualities measures member pages against.

The database file is BENCH_FLASKR_DATABASE, built by `create_database` before the server
starts; BENCH_SECRET_KEY signs the session. GET /login?user=N stores a user in the session
(the bench logs in once and replays the cookie).
"""

import datetime as dt
import os
import sqlite3

from flask import Flask, abort, g, redirect, render_template, request, session
from flask_compress import Compress

USERS = 10
POSTS_PER_USER = 200


def create_database(path: str) -> None:
    """Users and their posts, with the index the page's query uses."""
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE user (id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL);
        CREATE TABLE post (
            id INTEGER PRIMARY KEY,
            author_id INTEGER NOT NULL REFERENCES user (id),
            created TIMESTAMP NOT NULL,
            title TEXT NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX post_author_created ON post (author_id, created);
        """
    )
    db.executemany(
        "INSERT INTO user (id, username) VALUES (?, ?)",
        [(i, f"user{i}") for i in range(1, USERS + 1)],
    )
    start = dt.datetime(2026, 1, 1, 9, 0)
    db.executemany(
        "INSERT INTO post (author_id, created, title, body) VALUES (?, ?, ?, ?)",
        [
            (
                user,
                (start + dt.timedelta(hours=n)).isoformat(" "),
                f"Post {n} by user {user}",
                f"The body of post {n}: a line or two of text, as a short blog entry has. " * 2,
            )
            for user in range(1, USERS + 1)
            for n in range(POSTS_PER_USER)
        ],
    )
    db.commit()
    db.close()


app = Flask(__name__)
app.config.update(
    SECRET_KEY=os.environ.get("BENCH_SECRET_KEY", "bench"),
    DATABASE=os.environ.get("BENCH_FLASKR_DATABASE", "flaskr.sqlite3"),
    COMPRESS_ALGORITHM=["gzip"],
    COMPRESS_MIN_SIZE=256,
)
Compress(app)


def get_db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = sqlite3.connect(app.config["DATABASE"], detect_types=sqlite3.PARSE_DECLTYPES)
        g.db.row_factory = sqlite3.Row
    return g.db


@app.teardown_appcontext
def close_db(exc):
    db = g.pop("db", None)
    if db is not None:
        db.close()


@app.get("/login")
def login():
    user_id = request.args.get("user", 1, type=int)
    session.clear()
    session["user_id"] = user_id
    session["username"] = f"user{user_id}"
    return redirect("/")


@app.get("/")
def index():
    if "user_id" not in session:
        abort(403)
    posts = (
        get_db()
        .execute(
            "SELECT id, title, body, created FROM post WHERE author_id = ?"
            " ORDER BY created DESC LIMIT 20",
            (session["user_id"],),
        )
        .fetchall()
    )
    return render_template("flaskr/index.html", posts=posts, username=session["username"])
