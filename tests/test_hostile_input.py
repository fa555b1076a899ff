"""Hostile input gets a clear answer and writes nothing, never a 500 (issue 15's red team).

Each test here is one input that answered 500 (or kept too much) before; most run on
SQLite and on PostgreSQL, which treat NUL bytes and large integers apart. The property
based test over every route is tests/test_fuzz_routes.py.
"""

import hashlib
import hmac
import json
import sys
import time
import unicodedata
from io import BytesIO

import pytest

from pec.database import db
from pec.domain import clock
from pec.input_limits import has_control_characters
from pec.models import (
    Account,
    AuditEvent,
    Convention,
    FormStash,
    IdentityDocument,
    Mailbox,
    Order,
    Payment,
)
from pec.payments.gateways import DemoGateway, demo_key, sign_payload
from tests.conftest import (
    MemberActions,
    OperatorActions,
    WizardActions,
    csrf_token,
    make_app,
    make_operator,
)
from tests.factories import make_order

CONTROL_MESSAGE = "caratteri non ammessi"
PDF = b"%PDF-1.4\n% a tiny test document\n"


@pytest.fixture
def hostile(any_app, today):
    """The demo data on SQLite or PostgreSQL, and an operator."""
    from pec.demo import load_demo

    with db.connection_context():
        load_demo(today)
        make_operator()
    return any_app


def member_of(app) -> MemberActions:
    member = MemberActions(app.test_client())
    assert member.login().status_code == 303
    return member


def operator_of(app) -> OperatorActions:
    operator = OperatorActions(app.test_client())
    assert operator.login().status_code == 303
    return operator


def mailbox(address: str) -> Mailbox:
    with db.connection_context():
        return Mailbox.get(Mailbox.address == address)


def rows(*models) -> tuple:
    with db.connection_context():
        return tuple(model.select().count() for model in models)


def upload_statement(operator, data: bytes, name: str):
    """Upload, then the preview page the upload leads to."""
    response = operator.post(
        "/operators/statements",
        {"statement": (BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    return operator.client.get(response.location)


# --- NUL and control characters ------------------------------------------------------------


@pytest.mark.parametrize(
    "path, field",
    [
        ("/login", "identifier"),
        ("/login", "password"),
        ("/recover", "identifier"),
        ("/operators/login", "email"),
    ],
)
def test_a_nul_byte_in_a_sign_in_field_is_refused_with_a_message(hostile, path, field):
    client = hostile.test_client()
    actions = MemberActions(client)
    data = {"identifier": "mario.rossi@example.org", "password": "x", "email": "a@b.it"}
    data[field] = "mario\x00rossi"
    response = actions.post(path, data)
    assert response.status_code == 400
    assert CONTROL_MESSAGE in response.get_data(as_text=True)


def test_control_characters_anywhere_in_a_query_are_refused_before_the_database(hostile):
    operator = operator_of(hostile)
    response = operator.client.get("/operators/mailboxes?q=ro%00ssi")
    assert response.status_code == 400 and CONTROL_MESSAGE in response.get_data(as_text=True)
    response = operator.client.get("/operators/audit?actor=%1b%5b31m")
    assert response.status_code == 400


def test_the_control_characters_refused_are_unicodes_but_tab_and_line_breaks():
    """The guard's regular expression against Unicode's own table, every code point."""
    refused = {c for c in range(sys.maxunicode + 1) if has_control_characters(chr(c))}
    controls = {c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cc"}
    assert refused == controls - {ord("\t"), ord("\n"), ord("\r")}
    assert has_control_characters("rossi\x00") and not has_control_characters("è\t€\r\n")


@pytest.mark.parametrize(
    "body",
    [
        '{"identifier": "mario\\u0000rossi", "password": "x"}',
        "[" * 100_000,  # deeper than Python's JSON parser goes
    ],
    ids=["nul", "deep"],
)
def test_a_json_body_reaches_no_form(hostile, body):
    """Flask-WTF's forms read a JSON body's fields as a form's, where no check of ours
    looks; and one nested deeper than the parser goes was a 500. Every form here is an
    HTML form: a JSON body gets a page that says so, and changes nothing."""
    member = member_of(hostile)
    wizard = WizardActions(member)
    order_id = wizard.start(mailbox("mario.rossi@pec.demo.it"))
    assert wizard.accept_contracts(order_id).status_code == 303
    url = f"/renewals/{order_id}/billing"
    token = {"X-CSRFToken": csrf_token(member.client)}
    for path in ("/login", url):
        refused = member.client.post(
            path, data=body, content_type="application/json", headers=token
        )
        assert refused.status_code == 415, path
        assert "accetta soltanto i moduli del portale" in refused.get_data(as_text=True)
    with db.connection_context():
        assert Order.get_by_id(order_id).billing is None


def test_a_json_content_type_without_a_form_to_read_is_left_alone(hostile):
    """Only a body a form would read is refused: a page asked for with that header (some
    monitoring tools send it on every request) is shown, an address of no page is a 404
    and a method a route does not take a 405, as before."""
    client = hostile.test_client()
    json = {"content_type": "application/json; charset=utf-8"}
    assert client.get("/login", **json).status_code == 200
    assert client.head("/login", **json).status_code == 200
    assert client.post("/no-such-page", data="{}", **json).status_code == 404
    assert client.get("/payments/webhooks/demo", **json).status_code == 405


def test_a_forged_token_with_a_control_character_stores_nothing(hostile):
    """The guard runs before CSRFProtect, whose refusal keeps the typed form for after
    the next sign-in: a control character never gets as far as that store."""
    member = member_of(hostile)
    order_id = WizardActions(member).start(mailbox("mario.rossi@pec.demo.it"))
    response = member.client.post(
        f"/renewals/{order_id}/contracts",
        data={"csrf_token": "forged", "doc_1": "yes\x00\x1b"},
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 400 and CONTROL_MESSAGE in response.get_data(as_text=True)
    with db.connection_context():
        assert not FormStash.select().exists()


def test_a_control_character_in_a_form_body_is_refused_and_other_bodies_are_no_form(hostile):
    """Werkzeug reads fields only from a form body (the guard looks there alone): the
    same bytes as plain text are no fields at all, and the view asks for them."""
    member = MemberActions(hostile.test_client())
    token = {"X-CSRFToken": csrf_token(member.client)}
    body = "identifier=mario%00rossi&password=x"
    as_form = member.client.post(
        "/login", data=body, content_type="application/x-www-form-urlencoded", headers=token
    )
    assert as_form.status_code == 400 and CONTROL_MESSAGE in as_form.get_data(as_text=True)
    as_text = member.client.post("/login", data=body, content_type="text/plain", headers=token)
    assert as_text.status_code == 422 and CONTROL_MESSAGE not in as_text.get_data(as_text=True)


def test_tabs_and_line_breaks_stay_allowed_in_text(hostile):
    operator = operator_of(hostile)
    with db.connection_context():
        convention = Convention.get()
    response = operator.post(
        f"/operators/conventions/{convention.id}/contracts",
        {"code": "privacy", "title": "Informativa", "body": "Riga uno\r\n\tRiga due\r\n"},
    )
    assert response.status_code == 303


def test_a_statement_with_a_nul_byte_is_read_without_it_and_applied_whole(hostile):
    """A NUL once stopped an apply half-way on PostgreSQL (which refuses it in text), with
    no audit. The control character is taken out of its line, the line is shown to the
    operator to check, and the import runs to the end with its audit event."""
    operator = operator_of(hostile)
    with db.connection_context():
        box = Mailbox.get(Mailbox.address == "mario.rossi@pec.demo.it")
        order = make_order([box], number="K7M4Q9X2")
    statement = (
        "Data contabile;Importo;Causale;Riferimento\r\n"
        f"09/03/2026;4,88;Rinnovo PEC ordine {order.number};CSV-0001\r\n"
        "09/03/2026;4,88;Rinnovo\x00 PEC ordine ABCDEFGH;CSV-0002\r\n"
    ).encode()
    response = upload_statement(operator, statement, "estratto.csv")
    assert response.status_code == 200
    assert "caratteri di controllo (invisibili) tolti dalla riga" in response.get_data(as_text=True)
    assert operator.post(response.request.path + "/apply").status_code == 303
    with db.connection_context():
        assert Payment.get(Payment.reference == "CSV-0001").order_id == order.id
        assert AuditEvent.select().where(AuditEvent.action == "statement.imported").count() == 1
        assert not any("\x00" in (p.note or "") for p in Payment.select())


# --- Numbers and dates out of range --------------------------------------------------------


@pytest.mark.parametrize("value", ["99999999999999999999", "١٢٣", "2147483648", "0"])
def test_renewal_start_with_an_impossible_mailbox_number_is_not_found(hostile, value):
    member = member_of(hostile)
    assert member.post("/renewals/start", {"only": value}).status_code == 404
    assert member.post("/renewals/start", {"mailbox": [value]}).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/operators/mailboxes?from=9999-12-31&to=9999-12-31",
        "/operators/mailboxes?from=0001-01-01&to=0001-01-01",
        "/operators/audit?from=0001-01-01&to=9999-12-31",
        "/operators/audit?target_id=99999999999999999999999",
        "/operators/audit?target_id=٣",
        "/operators/mailboxes?page=99999999999999999999999",
        "/operators/orders?page=-5",
        "/operators/orders/99999999999999999999",
        "/renewals/99999999999999999999/service",
    ],
)
def test_dates_pages_and_ids_at_the_limits_answer_without_error(hostile, url):
    client = operator_of(hostile).client
    assert client.get(url).status_code in (200, 404)


def test_an_oversized_payment_amount_is_a_field_error(hostile):
    operator = operator_of(hostile)
    with db.connection_context():
        order = make_order([Mailbox.get(Mailbox.address == "mario.rossi@pec.demo.it")])
    before = rows(Payment, AuditEvent)
    response = operator.post(
        f"/operators/orders/{order.id}/payments",
        {
            "amount": "99999999999999999999,99",
            "paid_on": "2026-03-09",
            "method": "bank_transfer",
            "reference": "CRO0001",
        },
    )
    assert response.status_code == 422
    assert "Importo non valido" in response.get_data(as_text=True)
    assert rows(Payment, AuditEvent) == before


@pytest.mark.parametrize(
    "field, value",
    [
        ("price", "99999999999999"),
        ("price", "٤,٠٠"),
        ("duration_years", "99999999999999999999"),
        ("restore_window_days", "99999999999999999999"),
        ("beneficiary", "x" * 5000),
    ],
)
def test_oversized_settings_are_field_errors_and_change_nothing(hostile, field, value):
    from tests.test_operators_settings import FORM

    operator = operator_of(hostile)
    with db.connection_context():
        convention = Convention.get()
    before = rows(AuditEvent)
    response = operator.post(f"/operators/conventions/{convention.id}", {**FORM, field: value})
    assert response.status_code == 422
    assert rows(AuditEvent) == before
    with db.connection_context():
        assert Convention.get_by_id(convention.id).price_cents == convention.price_cents


# --- Files ----------------------------------------------------------------------------------


def test_an_xml_statement_declared_in_utf7_is_refused_with_a_clear_message(hostile):
    operator = operator_of(hostile)
    data = (
        b'<?xml version="1.0" encoding="UTF-7"?>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>'
    )
    response = upload_statement(operator, data, "estratto.xml")
    assert response.status_code == 422
    assert "UTF-7" in response.get_data(as_text=True)
    assert "UTF-8" in response.get_data(as_text=True)


def test_a_nul_in_an_upload_name_is_refused_and_an_old_odd_name_still_downloads(hostile):
    member = member_of(hostile)
    response = member.post(
        "/mailboxes/document",
        {"document": (BytesIO(PDF), "carta\x00.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and CONTROL_MESSAGE in response.get_data(as_text=True)
    assert rows(IdentityDocument) == (0,)

    # A name with odd characters (line breaks, quotes) is kept readable and downloads.
    response = member.post(
        "/mailboxes/document",
        {"document": (BytesIO(PDF), 'carta "fronte"\u2028retro.pdf')},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    with db.connection_context():
        document = IdentityDocument.get()
    download = member.client.get(f"/mailboxes/document/{document.id}")
    assert download.status_code == 200 and download.data == PDF
    download.close()


def test_a_member_cannot_pile_up_identity_documents(hostile):
    member = member_of(hostile)
    limit = hostile.config["PEC_MAX_PENDING_DOCUMENTS"]
    for _ in range(limit):
        response = member.post(
            "/mailboxes/document",
            {"document": (BytesIO(PDF), "carta.pdf")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 303
    refused = member.post(
        "/mailboxes/document",
        {"document": (BytesIO(PDF), "carta.pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "in attesa di verifica" in refused.get_data(as_text=True)
    assert rows(IdentityDocument) == (limit,)


# --- Billing data sizes --------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value",
    [
        ("email", "a" * 3_000_000 + "@example.org"),
        ("address", "Via Roma " * 200_000),
        ("first_name", "M" * 1000),
        ("city", "R" * 500),
    ],
)
def test_billing_fields_have_a_size_limit(hostile, field, value):
    member = member_of(hostile)
    wizard = WizardActions(member)
    order_id = wizard.start(mailbox("mario.rossi@pec.demo.it"))
    assert wizard.accept_contracts(order_id).status_code == 303
    response = wizard.submit_billing(order_id, **{field: value})
    assert response.status_code in (413, 422)
    if response.status_code == 422:
        assert "caratteri" in response.get_data(as_text=True)
    with db.connection_context():
        assert Order.get_by_id(order_id).billing is None


def test_a_huge_request_gets_a_page_that_says_so(hostile):
    member = member_of(hostile)
    response = member.post("/language", {"lang": "it", "next": "x" * 20_000_000})
    assert response.status_code == 413
    assert "troppo grand" in response.get_data(as_text=True)


# --- Payment notifications -----------------------------------------------------------------


def test_a_signed_demo_notification_with_a_huge_amount_is_refused(hostile):
    with db.connection_context():
        box = Mailbox.get(Mailbox.address == "anna.bianchi@pec.demo.it")
        order = make_order([box], method="card")
    with hostile.test_request_context():
        body, headers = DemoGateway(demo_key(hostile.config)).notification_for(
            {
                "session": "demo_cs_huge",
                "order_id": order.id,
                "order_number": order.number,
                "amount_cents": 10**30,
                "method": "card",
            },
            approved=True,
        )
    before = rows(Payment)
    response = hostile.test_client().post("/payments/webhooks/demo", data=body, headers=headers)
    assert response.status_code == 400
    assert rows(Payment) == before


def test_a_signed_stripe_event_without_an_id_is_refused(tmp_path, today):
    secret = "whsec_test_secret"
    app = make_app(
        tmp_path,
        PEC_PAYMENT_GATEWAY="stripe",
        STRIPE_SECRET_KEY="sk_test_not_used",
        STRIPE_WEBHOOK_SECRET=secret,
    )
    payload = json.dumps(
        {
            "object": "event",
            "type": "checkout.session.completed",
            "created": int(time.time()),
            "data": {"object": {"id": "cs_1", "payment_status": "paid", "currency": "eur"}},
        }
    ).encode()
    stamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    response = app.test_client().post(
        "/payments/webhooks/stripe",
        data=payload,
        headers={"Stripe-Signature": f"t={stamp},v1={mac}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    if not db.is_closed():
        db.close()


def test_a_signed_demo_notification_for_an_order_number_past_any_id_is_refused(hostile):
    raw = json.dumps(
        {
            "id": "evt_x",
            "type": "payment.succeeded",
            "created": int(clock.now().timestamp()),
            "data": {
                "session": "s",
                "order_id": 10**40,
                "order_number": "X",
                "amount_cents": 488,
                "currency": "EUR",
            },
        }
    ).encode()
    stamp = int(clock.now().timestamp())
    headers = {"Pec-Demo-Signature": sign_payload(raw, demo_key(hostile.config), stamp)}
    response = hostile.test_client().post("/payments/webhooks/demo", data=raw, headers=headers)
    assert response.status_code == 400


def test_accounts_keep_what_they_had(hostile):
    """The fixture's own sanity: the demo account is there on both databases."""
    with db.connection_context():
        assert Account.select().where(Account.login == "mario.rossi@example.org").exists()


@pytest.mark.parametrize(
    "url",
    [
        "/operators/outbox?to=" + "a" * 60_000,
        "/operators/audit?action=" + "a" * 60_000,
        "/operators/audit?actor=" + "b" * 60_000,
    ],
)
def test_a_huge_filter_is_refused_before_it_becomes_a_like_pattern(hostile, url):
    """SQLite refuses a LIKE pattern over 50,000 bytes ("too complex"): found by the fuzz."""
    response = operator_of(hostile).client.get(url)
    assert response.status_code == 414
    assert "troppo grand" in response.get_data(as_text=True)
