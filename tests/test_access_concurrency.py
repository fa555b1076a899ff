"""Password resets at the same moment, over HTTP against the served app on SQLite: none
fails with a 500 ("database is locked" came from a deferred transaction that hashed inside
it), each link works once, and only one of several links of an account wins."""

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

from pec.database import db
from pec.domain import accounts, clock
from pec.member_mail import MemberMail
from pec.models import Account, OutboxMessage
from tests.conftest import CSRF_RE
from tests.factories import make_account

PARALLEL = 8


class Browser:
    """A visitor with its own cookies, speaking HTTP to the live server."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            NoRedirect(),
        )

    def get(self, path):
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.status, response.read().decode()

    def prepare(self, path):
        """Open the form first (its CSRF token), so that only the POSTs race."""
        _status, page = self.get(path)
        self.token = CSRF_RE.search(page).group(1)
        return self

    def post(self, path, data):
        body = urllib.parse.urlencode(dict(data, csrf_token=self.token)).encode()
        try:
            with self.opener.open(self.base + path, body, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def all_at_once(calls):
    """Run the calls in threads released together; returns their results."""
    results = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i, call):
        start.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_eight_recoveries_at_once_all_answer_and_none_fails(app, live_server):
    with db.connection_context():
        holders = [make_account(password=None) for _ in range(PARALLEL)]
        logins = [h.login for h in holders]
    browsers = [Browser(live_server).prepare("/recover") for _ in logins]
    codes = all_at_once(
        [
            lambda b=b, login=login: b.post("/recover", {"identifier": login})
            for b, login in zip(browsers, logins, strict=True)
        ]
    )
    assert codes == [303] * PARALLEL
    with db.connection_context():
        assert OutboxMessage.select().count() == PARALLEL


def test_eight_resets_at_once_set_each_password_exactly_once(app, live_server):
    with app.app_context():  # this thread's own; the server's threads have theirs
        holders = [make_account(password=None) for _ in range(PARALLEL)]
        for holder in holders:
            accounts.request_access(holder.login, clock.now(), notices=MemberMail())
        links = [
            re.search(r"(/reset/\S+)", m.body_text).group(1)
            for m in OutboxMessage.select().order_by(OutboxMessage.id)
        ]
    browsers = [Browser(live_server).prepare(link) for link in links]
    codes = all_at_once(
        [
            lambda b=b, link=link: b.post(
                link, {"password": "a-new-password", "confirm": "a-new-password"}
            )
            for b, link in zip(browsers, links, strict=True)
        ]
    )
    assert codes == [303] * PARALLEL
    with db.connection_context():
        assert all(Account.get_by_id(h.id).password_hash for h in holders)


def test_eight_links_of_one_account_used_at_once_one_wins(app, live_server):
    with app.app_context():
        holder = make_account()
        for _ in range(PARALLEL):
            accounts.send_first_access(
                holder, clock.now(), notices=MemberMail(), actor="operator:1"
            )
        links = [
            re.search(r"(/reset/\S+)", m.body_text).group(1)
            for m in OutboxMessage.select().order_by(OutboxMessage.id)
        ]
    # Each form is shown (and its token read) before any link is used.
    browsers = [Browser(live_server).prepare(link) for link in links]
    codes = all_at_once(
        [
            lambda b=b, link=link, i=i: b.post(
                link, {"password": f"password-{i:04d}", "confirm": f"password-{i:04d}"}
            )
            for i, (b, link) in enumerate(zip(browsers, links, strict=True))
        ]
    )
    assert 500 not in codes
    assert sorted(codes) == [303] + [410] * (PARALLEL - 1), codes
    winner = codes.index(303)
    with db.connection_context():
        assert accounts.authenticate(holder.login, f"password-{winner:04d}") is not None
        assert Account.get_by_id(holder.id).access_epoch == 1
