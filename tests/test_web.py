"""What every page shares: headers, caching, error pages, weight (docs/rules.md, Qualities)."""

import gzip
import re

from pec.rendering import render_page


def test_pages_send_a_strict_csp_without_inline_script(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in response.get_data(as_text=True)
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_httponly_and_lax(client):
    header = client.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header


def test_static_files_are_fingerprinted_and_cached_long(client):
    page = client.get("/login").get_data(as_text=True)
    assert "/static/htmx-2.0.11.min.js?v=" in page
    response = client.get("/static/app.css?v=x")
    assert "max-age=31536000" in response.headers["Cache-Control"]
    response.close()


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/nope")
    assert response.status_code == 404 and "Pagina non trovata" in response.get_data(as_text=True)


def test_htmx_is_configured_by_meta_tag_for_history_and_csp(client):
    page = client.get("/login").get_data(as_text=True)
    assert '"historyRestoreAsHxRequest":false' in page
    assert '"includeIndicatorStyles":false' in page
    assert '"allowEval":false' in page


def static_link(client, name: str) -> str:
    """The fingerprinted URL of static/`name` as the login page links it."""
    page = client.get("/login").get_data(as_text=True)
    return re.search(rf'href="(/static/{re.escape(name)}[^"]*)"', page).group(1)


def test_responses_are_gzipped_for_clients_that_accept_it(client):
    response = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"Area Clienti" in gzip.decompress(response.data)


def test_login_page_with_all_its_assets_is_under_30_kb_compressed(client):
    """docs/rules.md, Qualities budget: the login page and everything it loads, gzipped, ≤ 30 KB."""
    page = client.get("/login", headers={"Accept-Encoding": "gzip"})
    total = len(page.data)
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', gzip.decompress(page.data).decode()):
        response = client.get(asset, headers={"Accept-Encoding": "gzip"})
        total += len(response.data)
        response.close()
    assert total <= 30 * 1024, total


def test_render_page_adds_vary_to_full_pages_too(app):
    with app.test_request_context("/"):
        response = render_page("errors/error.html", status=404)
    assert {"HX-Request", "HX-Target"} <= set(response.vary)


# Endpoints authenticated by a signature on the raw body instead of a CSRF token.
CSRF_EXEMPT = {"gateways.demo_webhook", "gateways.stripe_webhook"}


def test_every_post_without_a_csrf_token_gets_the_friendly_page_before_its_view(app, client):
    """CSRFProtect refuses a POST without a valid token before any view (or login check)
    runs, so views need no token check of their own."""
    from flask import url_for

    checked = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in CSRF_EXEMPT:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **{name: 1 for name in rule.arguments})
        response = client.post(url, data={"csrf_token": "forged"})
        assert response.status_code == 400, url
        assert "La pagina è scaduta" in response.get_data(as_text=True), url
        checked.append(rule.endpoint)
    assert {"renewal.confirm", "renewal.cancel", "operators.outbox.outbox_retry"} <= set(checked)
    webhooks = {r.endpoint for r in app.url_map.iter_rules() if "/webhooks/" in r.rule}
    assert webhooks == CSRF_EXEMPT


def test_only_the_payment_notifications_read_a_json_body(app):
    """The views a JSON body may reach (pec.input_limits.reads_its_own_body): the payment
    providers' signed notifications, nothing else."""
    from pec.input_limits import OWN_BODY_VIEWS

    marked = {name for name, view in app.view_functions.items() if view in OWN_BODY_VIEWS}
    assert marked == CSRF_EXEMPT


def test_workers_starting_together_share_one_secret_key(tmp_path, monkeypatch):
    """A first boot with several workers: every one reads the same whole key."""
    import threading

    from pec.config import _secret_key

    monkeypatch.delenv("PEC_SECRET_KEY", raising=False)
    keys, start = [], threading.Barrier(8)

    def worker():
        start.wait()
        keys.append(_secret_key(str(tmp_path)))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1 and len(keys[0]) == 64
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_a_page_is_not_evaluated_again_as_a_conditional_request_after_gzip(client):
    """Our pages are private and carry no validator (ETag, Last-Modified), so evaluating
    the request once more as a conditional one after gzip (as Flask-Compress did) could
    never answer 304: pec.web does not. The Date header it wrote was its only trace
    (gunicorn writes the one that is sent)."""
    response = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "ETag" not in response.headers and "Last-Modified" not in response.headers
    assert "Date" not in response.headers


def test_a_static_file_is_gzipped_once_at_the_highest_level_and_kept(app, client, monkeypatch):
    from pathlib import Path

    from pec import web

    url = static_link(client, "app.css")
    raw = (Path(app.static_folder) / "app.css").read_bytes()
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip"
    assert first.data == gzip.compress(raw, compresslevel=9, mtime=0)
    assert first.headers["ETag"].endswith(':gzip"')
    assert "Accept-Encoding" in first.headers["Vary"]

    compressed = []
    monkeypatch.setattr(web.gzip, "compress", lambda *args, **kw: compressed.append(args))
    again = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert again.data == first.data and compressed == []  # the kept bytes

    plain = client.get(url)  # a client that takes no gzip gets the file as it is
    assert plain.data == raw and "Content-Encoding" not in plain.headers
    for response in (first, again, plain):
        response.close()


def test_a_page_is_gzipped_by_zlib_ng_at_the_pages_level_every_time(client):
    """Pages change with every answer: gzipped each time by zlib-ng at PAGE_GZIP_LEVEL
    (4), the same deflate stream as zlib-ng gives at that level (the 10-byte header holds
    a time), which is not the standard library's."""
    from zlib_ng import gzip_ng

    response = client.get("/login", headers={"Accept-Encoding": "gzip"})
    html = gzip.decompress(response.data)
    assert response.data[10:] == gzip_ng.compress(html, 4)[10:]
    assert response.data[10:] != gzip.compress(html, compresslevel=4)[10:]
    assert response.headers["Content-Length"] == str(len(response.data))
    assert "Accept-Encoding" in response.headers["Vary"]


def test_every_answer_varies_on_accept_encoding_and_small_or_binary_ones_stay_plain(client):
    """A redirect, a file that is not text, and a client that takes no gzip: nothing
    gzipped, and each answer still says it varies on Accept-Encoding (as Flask-Compress
    said on every answer), so no cache hands a gzipped page to a client without gzip."""
    redirect = client.get("/mailboxes/", headers={"Accept-Encoding": "gzip"})
    assert redirect.status_code in (302, 303) and "Content-Encoding" not in redirect.headers
    assert "Accept-Encoding" in redirect.headers["Vary"]
    plain = client.get("/login")
    assert "Content-Encoding" not in plain.headers and b"Area Clienti" in plain.data
    assert "Accept-Encoding" in plain.headers["Vary"]
    icon = static_link(client, "favicon.svg")
    svg = client.get(icon, headers={"Accept-Encoding": "gzip"})
    assert svg.status_code == 200 and "Content-Encoding" not in svg.headers
    svg.close()


def test_a_range_request_for_a_static_file_gets_its_plain_bytes(app, client):
    """A 206 answer is part of the file as it is: it is never gzipped (Flask-Compress
    gzipped the part, which no client could put back together with the rest)."""
    from pathlib import Path

    url = static_link(client, "app.css")
    raw = (Path(app.static_folder) / "app.css").read_bytes()
    part = client.get(url, headers={"Accept-Encoding": "gzip", "Range": "bytes=0-99"})
    assert part.status_code == 206 and "Content-Encoding" not in part.headers
    assert part.data == raw[:100]
    part.close()


def test_a_static_file_revalidated_with_its_gzip_etag_gets_a_304(client):
    url = static_link(client, "app.css")
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    again = client.get(
        url, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""
    for response in (first, again):
        response.close()
