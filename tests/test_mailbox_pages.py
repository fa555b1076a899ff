"""Gestione PEC for a holder with many mailboxes: 25 at a time, numbered pages, a search
by address, and several mailboxes of a page renewed in one order (with or without
JavaScript: a plain form)."""

import re

from pec.models import Account, OrderLine
from tests.conftest import ON_BOTH_DATABASES
from tests.factories import make_mailbox

SIZE = 25


def mario() -> Account:
    return Account.get(Account.login == "mario.rossi@example.org")


def add_mailboxes(count: int):
    account = mario()
    return [
        make_mailbox(account, expires_in=10 + n, address=f"studio{n:03d}@pec.demo.it")
        for n in range(count)
    ]


def rows(page: str) -> list[str]:
    return re.findall(r'<th scope="row" class="address">(.*?)</th>', page)


def test_three_mailboxes_show_on_one_page_without_pager_or_search(demo, member):
    member.login()
    page = member.client.get("/mailboxes/").get_data(as_text=True)
    assert len(rows(page)) == 3
    assert 'class="pager' not in page and 'role="search"' not in page


@ON_BOTH_DATABASES
def test_many_mailboxes_come_25_at_a_time_with_numbered_pages(demo, member):
    add_mailboxes(60)  # 63 with the demo's three
    member.login()
    first = member.client.get("/mailboxes/").get_data(as_text=True)
    assert len(rows(first)) == SIZE
    assert "Caselle 1–25 di 63" in first
    assert 'aria-current="page"><span class="sr-only">Pagina </span>1<' in first
    assert 'href="/mailboxes/?page=3"' in first and 'rel="next"' in first
    last = member.client.get("/mailboxes/?page=3").get_data(as_text=True)
    assert len(rows(last)) == 13 and "Caselle 51–63 di 63" in last
    assert 'rel="prev"' in last and 'rel="next"' not in last
    # Every mailbox appears once over the pages, in the list's order (expiry, address).
    seen = []
    for n in (1, 2, 3):
        seen += rows(member.client.get(f"/mailboxes/?page={n}").get_data(as_text=True))
    assert len(seen) == len(set(seen)) == 63
    # A page number out of range, or not a number, lands on a page that exists.
    assert "Caselle 51–63 di 63" in member.client.get("/mailboxes/?page=99").get_data(as_text=True)
    assert "Caselle 1–25 di 63" in member.client.get("/mailboxes/?page=x").get_data(as_text=True)


@ON_BOTH_DATABASES
def test_the_search_finds_mailboxes_by_address_and_pages_keep_it(demo, member):
    add_mailboxes(60)
    member.login()
    found = member.client.get("/mailboxes/?q=+STUDIO05").get_data(as_text=True)
    assert len(rows(found)) == 10  # studio050 … studio059
    assert 'value="studio05"' in found and "Mostra tutte le caselle" in found
    many = member.client.get("/mailboxes/?q=studio0").get_data(as_text=True)
    assert "Caselle 1–25 di 60" in many and 'href="/mailboxes/?q=studio0&amp;page=2"' in many
    none = member.client.get("/mailboxes/?q=nessuna").get_data(as_text=True)
    assert "Nessuna casella contiene «nessuna»." in none
    # LIKE wildcards (and the escape character) are letters like any other
    for wildcards in ("%25_", "studio_5", "\\", "studio%25"):
        assert "Nessuna casella contiene" in member.client.get(
            f"/mailboxes/?q={wildcards}"
        ).get_data(as_text=True), wildcards


def test_several_mailboxes_of_a_page_are_renewed_in_one_order(demo, member):
    boxes = add_mailboxes(40)
    member.login()
    page = member.client.get("/mailboxes/?page=2").get_data(as_text=True)
    ticks = re.findall(r'name="mailbox" value="(\d+)"', page)
    assert len(ticks) >= 2
    started = member.post("/renewals/start", {"mailbox": ticks[:2]})
    assert started.status_code == 303
    order_id = int(re.search(r"/renewals/(\d+)/", started.location).group(1))
    renewed = {line.mailbox_id for line in OrderLine.select().where(OrderLine.order == order_id)}
    assert renewed == {int(t) for t in ticks[:2]}
    assert renewed <= {b.id for b in boxes} | {m.id for m in mario().mailboxes}


def test_each_row_names_its_own_address_escaped_in_its_labels(demo, member):
    """The renew button's label is translated once for the page and each row puts its
    address in: every row gets its own, escaped, in Italian and in English."""
    account = mario()
    make_mailbox(account, expires_in=20, address="o'brien&co@pec.demo.it")
    member.login()
    page = member.client.get("/mailboxes/").get_data(as_text=True)
    labels = re.findall(r'<button class="\w+" name="only" value="\d+" aria-label="([^"]*)"', page)
    assert "Rinnova o&#39;brien&amp;co@pec.demo.it" in labels
    assert "Rinnova mario.rossi@pec.demo.it" in labels
    assert len(labels) == len(set(labels)) == 4
    assert "o&#39;brien&amp;co@<wbr>pec.demo.it" in rows(page)
    member.post("/language", {"lang": "en"})
    english = member.client.get("/mailboxes/").get_data(as_text=True)
    assert 'aria-label="Renew o&#39;brien&amp;co@pec.demo.it"' in english


def test_each_deactivated_row_warns_with_its_own_last_day_in_both_languages(demo, member):
    """The warning is translated once for the page and each row fills in its own last day
    to renew (R6: expiry + the convention's restore window), in Italian and in English."""
    import datetime as dt

    from pec.domain import clock

    account = mario()
    window = dt.timedelta(days=account.convention.restore_window_days)
    today = clock.today()
    days = {}
    for n, ago in enumerate((3, 40)):
        expired = today - dt.timedelta(days=ago)
        make_mailbox(
            account,
            address=f"spenta{n}@pec.demo.it",
            expires_on=expired,
            deactivated_on=expired + dt.timedelta(days=1),
        )
        days[f"spenta{n}@<wbr>pec.demo.it"] = (expired + window).strftime("%d/%m/%Y")
    member.login()
    italian = member.client.get("/mailboxes/").get_data(as_text=True)
    member.post("/language", {"lang": "en"})
    english = member.client.get("/mailboxes/").get_data(as_text=True)
    for page, words in (
        (italian, "puoi ancora rinnovarla e riattivarla entro il {}; dopo quella data"),
        (english, "you can still renew and reactivate it until {}; after that date"),
    ):
        found = re.findall(r'class="address">(.*?)</th>.*?<p class="warn">(.*?)</p>', page, re.S)
        warnings = dict(found)
        assert set(days) <= set(warnings)
        for address, day in days.items():
            assert words.format(day) in warnings[address]
    assert "puoi ancora" not in english


def test_a_page_of_the_list_reads_the_accounts_index_in_order_and_stops(ctx):
    """On SQLite: the page's query walks the index on (account, expires_on, address) in
    the list's order and stops at its rows, instead of sorting all the account's
    mailboxes on every visit; the count reads that index alone. With or without a
    search. (PostgreSQL plans by its statistics: the same index is there.)"""
    from pec.database import _Named, db
    from pec.domain.mailboxes import _MEMBER_COUNT, _MEMBER_PAGE

    def plan(prepared) -> str:
        sql, params = prepared._build().sql()
        values = ["%" if isinstance(p, _Named) else p for p in params]
        return " | ".join(row[3] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, values))

    with db.connection_context():
        for searching in (False, True):
            page = plan(_MEMBER_PAGE["account", searching])
            assert "INDEX mailbox_account_id_expires_on_address" in page, page
            assert "TEMP B-TREE" not in page, page
            count = plan(_MEMBER_COUNT["account", searching])
            assert "COVERING INDEX mailbox_account_id_expires_on_address" in count, count
