"""The login page kept rendered (pec.page_cache): the same page a fresh rendering gives,
with each visitor's own token, and never a stale convention, language or message."""

import re

from itsdangerous.timed import TimestampSigner

from pec import page_cache
from pec.models import Convention
from tests.conftest import MemberActions

TOKEN = re.compile(
    r'(name="csrf_token" type="hidden" value="|name="csrf_token" value="|'
    r'name="csrf-token" content=")([^"]*)"'
)


def tokens(page: str) -> set[str]:
    return {match.group(2) for match in TOKEN.finditer(page)}


def masked(page: str) -> str:
    return TOKEN.sub(r'\1TOKEN"', page)


def test_every_visitor_gets_the_kept_page_with_a_token_of_its_own(app, demo, monkeypatch):
    # A session's first page signs its token and the next one signs it again to keep it
    # (pec.signing): the same token only within the same second of the signing clock,
    # which this test holds still.
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_790_000_000)
    first, second = app.test_client(), app.test_client()
    pages = [c.get("/login").get_data(as_text=True) for c in (first, second, first)]
    # Three tokens on each page (meta tag, language switch, login form), all the same one.
    found = [tokens(page) for page in pages]
    assert all(len(t) == 1 for t in found), found
    first_token, second_token, again = (t.pop() for t in found)
    assert first_token == again != second_token
    assert all(page_cache.PLACEHOLDER not in page for page in pages)
    assert masked(pages[0]) == masked(pages[1]) == masked(pages[2])
    assert len(app.extensions["pec.page_cache"]["login"]) == 1
    # Each token is the visitor's own: it signs in with it, and not with the other's.
    assert sign_in(first, first_token).status_code == 303
    assert sign_in(second, second_token).status_code == 303
    stranger = app.test_client()
    stranger.get("/login")
    assert sign_in(stranger, second_token).status_code == 400


def sign_in(client, token: str):
    return client.post(
        "/login",
        data={
            "identifier": "mario.rossi@example.org",
            "password": "demo-password",
            "csrf_token": token,
        },
    )


def test_the_kept_page_is_byte_for_byte_a_fresh_rendering(app, demo):
    client = app.test_client()
    client.get("/login")  # rendered and kept
    kept = client.get("/login")
    app.jinja_env.auto_reload = True  # as the development server: nothing kept
    fresh = client.get("/login")
    assert kept.status_code == fresh.status_code == 200
    assert masked(kept.get_data(as_text=True)) == masked(fresh.get_data(as_text=True))
    assert kept.headers["Vary"] == fresh.headers["Vary"]
    assert kept.headers["Content-Type"] == fresh.headers["Content-Type"]


def test_an_edit_of_the_convention_shows_on_the_next_login_page(app, demo):
    """Made straight in the database, as an operator in another worker would."""
    client = app.test_client()
    assert "FNOMCeO" in client.get("/login").get_data(as_text=True)
    Convention.update(name="Ordine dei Medici di Prova").execute()
    page = client.get("/login").get_data(as_text=True)
    assert "Ordine dei Medici di Prova" in page and "FNOMCeO" not in page
    for n in range(2 * page_cache.KEPT):
        Convention.update(name=f"Nome {n}").execute()
        assert f"Nome {n}" in client.get("/login").get_data(as_text=True)
    assert len(app.extensions["pec.page_cache"]["login"]) <= page_cache.KEPT


def test_each_language_gets_its_own_kept_page(app, demo):
    english, italian = MemberActions(app.test_client()), app.test_client()
    english.post("/language", {"lang": "en", "next": "/login"})
    for _ in range(2):
        page = english.client.get("/login").get_data(as_text=True)
        assert '<html lang="en">' in page and "Customer area" in page
        other = italian.get("/login").get_data(as_text=True)
        assert '<html lang="it">' in other and "Area Clienti" in other


def test_a_message_a_prefilled_login_and_a_way_back_are_never_kept(app, demo):
    member = MemberActions(app.test_client())
    member.client.get("/login")
    member.login()
    farewell = member.client.get(member.logout().location).get_data(as_text=True)
    assert "Sei uscito dall&#39;Area Clienti." in farewell
    assert "Sei uscito" not in member.client.get("/login").get_data(as_text=True)
    prefilled = member.client.get("/login?login=anna.bianchi%40example.org")
    assert 'value="anna.bianchi@example.org"' in prefilled.get_data(as_text=True)
    back = member.client.get("/login?next=/orders/").get_data(as_text=True)
    assert '<input type="hidden" name="next" value="/orders/">' in back
    plain = member.client.get("/login").get_data(as_text=True)
    assert "anna.bianchi" not in plain and 'name="next" value="/orders/"' not in plain


def fresh(app, client, path="/login", **kwargs) -> str:
    """The page as rendered anew (templates reloading: nothing kept), token masked."""
    app.jinja_env.auto_reload = True
    try:
        return masked(client.get(path, **kwargs).get_data(as_text=True))
    finally:
        app.jinja_env.auto_reload = False


def test_whatever_came_first_the_kept_page_is_a_fresh_renderings(app, demo):
    """A HEAD (a load balancer's check) or a query string of no arguments could have put a
    page with another way back in the language switch into the cache; htmx and a
    signed-in member get the page a fresh rendering gives them."""
    client = app.test_client()
    assert client.head("/login").status_code == 200
    assert "/login?&amp;" in client.get("/login?&").get_data(as_text=True)
    kept = masked(client.get("/login").get_data(as_text=True))
    assert '<input type="hidden" name="next" value="/login">' in kept
    assert kept == fresh(app, client)
    htmx = {"HX-Request": "true", "HX-Target": "panel"}
    assert masked(client.get("/login", headers=htmx).get_data(as_text=True)) == fresh(
        app, client, headers=htmx
    )
    member = MemberActions(app.test_client())
    member.login()
    assert masked(member.client.get("/login").get_data(as_text=True)) == fresh(app, member.client)


def test_the_kept_page_follows_the_locale_selector_itself(app, demo):
    """The key takes the language from Flask-Babel's selector, whatever it is set to."""
    client = app.test_client()
    assert '<html lang="it">' in client.get("/login").get_data(as_text=True)
    app.extensions["babel"].locale_selector = lambda: "en"
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_a_member_page_frame_is_kept_and_is_a_fresh_renderings(app, demo):
    """The header's brand, the footer and app.js's words (base.html, shared_part): kept
    once per key, and the page with them kept is byte for byte a fresh rendering."""
    member = MemberActions(app.test_client())
    member.login()
    kept_first = member.client.get("/mailboxes/").get_data(as_text=True)
    kept = member.client.get("/mailboxes/").get_data(as_text=True)
    parts = app.extensions["pec.page_parts"]
    assert sorted(parts) == ["_brand.html", "_footer.html", "_request_errors.html"]
    assert all(len(keys) == 1 for keys in parts.values())
    app.jinja_env.auto_reload = True  # as the development server: nothing kept
    fresh = member.client.get("/mailboxes/").get_data(as_text=True)
    assert masked(kept_first) == masked(kept) == masked(fresh)
    assert 'class="brand-name">FNOMCeO' in fresh and '<footer class="foot">' in fresh
    assert 'id="request-errors"' in fresh


def test_a_part_is_kept_per_key_and_the_kept_are_bounded(app, demo):
    from flask import template_rendered

    renderings, parts = [], []

    def count(sender, template, context, **extra):
        renderings.append(template.name)

    with template_rendered.connected_to(count, app), app.test_request_context("/"):
        for n in range(page_cache.KEPT + 4):
            for _ in range(2):  # the second time for a key: the kept HTML
                parts.append(page_cache.shared_part("_request_errors.html", ("it", "", n)))
        assert len(app.extensions["pec.page_parts"]["_request_errors.html"]) <= page_cache.KEPT
    assert renderings == ["_request_errors.html"] * (page_cache.KEPT + 4)
    assert len(set(parts)) == 1 and 'id="request-errors"' in parts[0]


def test_a_kept_pager_is_the_one_a_fresh_rendering_gives(app, demo, member):
    """Gestione PEC's pager is kept per language, site root, list and page
    (pec.pages.views.pager): each kept one equals a fresh rendering, and no page, query
    or language gets another's."""
    from pec.models import Account
    from tests.factories import make_mailbox

    account = Account.get(Account.login == "mario.rossi@example.org")
    for n in range(60):  # 63 mailboxes: 3 pages
        make_mailbox(account, expires_in=10 + n, address=f"studio{n:03d}@pec.demo.it")
    member.login()

    def pager(url: str) -> str:
        page = member.client.get(url).get_data(as_text=True)
        return re.search(r'<nav class="pager".*?</nav>', page, re.S).group(0)

    urls = ("/mailboxes/?page=2", "/mailboxes/?page=3", "/mailboxes/?q=studio&page=2")
    kept = {}
    for language in ("it", "en"):
        member.post("/language", {"lang": language})
        for url in urls:
            first = pager(url)
            assert pager(url) == first  # the kept one
            app.extensions.pop("pec.page_parts", None)  # rendered afresh
            assert pager(url) == first
            kept[language, url] = first
    assert len(set(kept.values())) == len(kept)  # six pagers, each its own
    assert 'aria-current="page"><span class="sr-only">Pagina </span>2<' in kept["it", urls[0]]
    assert "q=studio" in kept["it", urls[2]] and "q=studio" not in kept["it", urls[0]]
    assert "Next" in kept["en", urls[0]] and "Successive" in kept["it", urls[0]]
