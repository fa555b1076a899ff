"""Gateway notifications: signed, verified on the raw body, deduplicated, applied once.

The demo provider's notifications are built by its own code (DemoGateway) and posted to
our webhook; Stripe's are signed here exactly as Stripe documents it (t=…,v1=HMAC-SHA256
of "t.payload") and go through stripe.Webhook.construct_event.
"""

import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import stripe

from pec.database import db
from pec.domain import clock
from pec.domain.balance import balance
from pec.models import (
    AuditEvent,
    GatewayEvent,
    Mailbox,
    Order,
    OutboxMessage,
    Payment,
)
from pec.payments.gateways import (
    CheckoutSession,
    DemoGateway,
    GatewayUnavailable,
    StripeGateway,
    demo_key,
    sign_payload,
)
from tests.conftest import make_app
from tests.factories import make_order

WEBHOOK_SECRET = "whsec_test_secret"


def anna_order(method="card"):
    with db.connection_context():
        box = Mailbox.get(Mailbox.address == "anna.bianchi@pec.demo.it")
        return box, make_order([box], method=method)


def expiry(box):
    with db.connection_context():
        return Mailbox.get_by_id(box.id).expires_on


def demo_notification(app, order, approved=True, amount=None, session="demo_cs_test"):
    """What the demo provider posts after the member's decision (its own code)."""
    with app.test_request_context():
        gateway = DemoGateway(demo_key(app.config))
        return gateway.notification_for(
            {
                "session": session,
                "order_id": order.id,
                "order_number": order.number,
                "amount_cents": order.gross_cents if amount is None else amount,
                "method": "card",
            },
            approved,
        )


def resigned(app, body, event_id):
    """The same notification under another event id, signed again by the provider."""
    event = json.loads(body)
    event["id"] = event_id
    raw = json.dumps(event).encode()
    timestamp = int(clock.now().timestamp())
    return raw, {"Pec-Demo-Signature": sign_payload(raw, demo_key(app.config), timestamp)}


def post_demo(client, body, headers):
    return client.post("/payments/webhooks/demo", data=body, headers=headers)


def test_demo_notification_applies_the_renewal(app, client, demo):
    box, order = anna_order()
    body, headers = demo_notification(app, order)
    response = post_demo(client, body, headers)
    assert (response.status_code, response.get_data(as_text=True)) == (200, "applied")
    assert expiry(box) == dt.date(2029, 3, 15)


def test_replaying_the_same_notification_ten_times_extends_once(app, client, demo):
    box, order = anna_order()
    body, headers = demo_notification(app, order)
    answers = [post_demo(client, body, headers).get_data(as_text=True) for _ in range(10)]
    assert answers == ["applied"] + ["duplicate_event"] * 9
    assert expiry(box) == dt.date(2029, 3, 15)
    with db.connection_context():
        assert GatewayEvent.select().count() == 1
        assert Payment.select().where(Payment.status == "registered").count() == 1
        assert OutboxMessage.select().where(OutboxMessage.kind == "renewal_applied").count() == 1


def run_in_threads(app, count, post):
    """`post(client, n)` from `count` threads released together; returns the answers."""
    barrier = threading.Barrier(count)
    answers, errors = [], []

    def worker(n):
        client = app.test_client()
        try:
            barrier.wait()
            response = post(client, n)
            answers.append((response.status_code, response.get_data(as_text=True)))
        except Exception as error:  # shown by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return answers


def test_the_same_notification_from_ten_threads_at_once_extends_once(app, demo):
    box, order = anna_order()
    body, headers = demo_notification(app, order)
    answers = run_in_threads(app, 10, lambda client, n: post_demo(client, body, headers))
    assert sorted(answers) == [(200, "applied")] + [(200, "duplicate_event")] * 9
    assert expiry(box) == dt.date(2029, 3, 15)
    with db.connection_context():
        assert GatewayEvent.select().count() == 1
        assert Payment.select().where(Payment.status == "registered").count() == 1
        assert OutboxMessage.select().count() == 1


def test_ten_different_payments_at_once_apply_one_and_leave_the_rest_to_refund(app, demo):
    box, order = anna_order()
    notes = [demo_notification(app, order, session=f"demo_cs_{n}") for n in range(10)]
    answers = run_in_threads(app, 10, lambda client, n: post_demo(client, *notes[n]))
    assert sorted(answers) == [(200, "applied")] + [(200, "not_payable")] * 9
    assert expiry(box) == dt.date(2029, 3, 15)
    with db.connection_context():
        statuses = [p.status for p in Payment.select()]
        # R12: all ten are money received; one pays the order, nine are to refund.
        assert statuses == ["registered"] * 10
        assert balance(Order.get_by_id(order.id)).to_refund_cents == 9 * 488


def test_two_events_for_one_checkout_at_once_register_it_once(app, demo):
    box, order = anna_order()
    ten_events_for_one_checkout_register_it_once(app, box, order)


def ten_events_for_one_checkout_register_it_once(app, box, order):
    """E.g. Stripe's completed and async-succeeded events for one session racing: ten
    events from ten threads register one payment and extend the mailbox once (R3)."""
    with db.connection_context():
        attempt = Payment.create(order=order, method="card", provider="demo",
                                 reference="demo_cs_same", amount_cents=488, status="pending")  # fmt: skip
    body, _ = demo_notification(app, order, session="demo_cs_same")
    notes = [resigned(app, body, event_id=f"evt_{n}") for n in range(10)]
    answers = run_in_threads(app, 10, lambda client, n: post_demo(client, *notes[n]))
    assert sorted(answers) == [(200, "already_applied")] * 9 + [(200, "applied")]
    with db.connection_context():
        assert Payment.select().count() == 1
        assert Payment.get_by_id(attempt.id).status == "registered"
    assert expiry(box) == dt.date(2029, 3, 15)


def test_a_bad_signature_changes_nothing_and_is_logged(app, client, demo, caplog):
    box, order = anna_order()
    body, headers = demo_notification(app, order)
    forged = {"Pec-Demo-Signature": headers["Pec-Demo-Signature"][:-4] + "0000"}
    tampered = body.replace(b'"amount_cents": 488', b'"amount_cents": 1')
    with caplog.at_level(logging.WARNING):
        assert post_demo(client, body, forged).status_code == 400
        assert post_demo(client, tampered, headers).status_code == 400
        assert post_demo(client, body, {}).status_code == 400
    assert caplog.text.count("rejected demo notification") == 3
    assert expiry(box) == dt.date(2026, 3, 15)
    with db.connection_context():
        assert GatewayEvent.select().count() == 0 and Payment.select().count() == 0
        assert Order.get_by_id(order.id).status == "awaiting_payment"
    # The genuine one still works afterwards.
    assert post_demo(client, body, headers).get_data(as_text=True) == "applied"


def test_a_stale_demo_notification_is_refused(app, client, demo):
    box, order = anna_order()
    body, _ = demo_notification(app, order)
    stale = int(clock.now().timestamp()) - 301  # the demo provider's clock is ours
    headers = {"Pec-Demo-Signature": sign_payload(body, demo_key(app.config), stale)}
    assert post_demo(client, body, headers).status_code == 400
    assert expiry(box) == dt.date(2026, 3, 15)


def test_a_signed_notification_for_less_than_the_total_counts_and_asks_the_rest(app, client, demo):
    box, order = anna_order()
    body, headers = demo_notification(app, order, amount=100)
    response = post_demo(client, body, headers)
    assert response.get_data(as_text=True) == "partial"
    assert expiry(box) == dt.date(2026, 3, 15)
    with db.connection_context():
        audit = AuditEvent.get(AuditEvent.action == "payment.partial")
        assert audit.target_id == order.id and audit.actor == "gateway:demo"
        assert Payment.get().status == "registered"
        assert Order.get_by_id(order.id).status == "awaiting_payment"
        assert balance(Order.get_by_id(order.id)).missing_cents == 388
        assert GatewayEvent.get().outcome == "partial"
        assert OutboxMessage.get().kind == "payment_received"


def test_a_declined_notification_only_fails_the_attempt(app, client, demo):
    box, order = anna_order()
    with db.connection_context():
        Payment.create(order=order, method="card", provider="demo", reference="demo_cs_test",
                       amount_cents=488, status="pending")  # fmt: skip
    body, headers = demo_notification(app, order, approved=False)
    assert post_demo(client, body, headers).get_data(as_text=True) == "failed"
    with db.connection_context():
        assert Payment.get().status == "failed"
        assert Order.get_by_id(order.id).status == "awaiting_payment"
    assert expiry(box) == dt.date(2026, 3, 15)


def test_webhooks_need_no_csrf_token_but_other_posts_do(app, client, demo):
    _, order = anna_order()
    # No csrf_token anywhere in these posts; the webhook accepts it, a page does not.
    assert post_demo(client, *demo_notification(app, order)).status_code == 200
    assert client.post(f"/payments/{order.id}/checkout").status_code == 400


# --- Stripe ----------------------------------------------------------------------------


@pytest.fixture
def stripe_app(tmp_path, today):
    app = make_app(
        tmp_path,
        PEC_PAYMENT_GATEWAY="stripe",
        STRIPE_SECRET_KEY="sk_test_not_used",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    with db.connection_context():
        from pec.demo import load_demo

        load_demo(today)
    yield app
    if not db.is_closed():
        db.close()


def stripe_event(order, *, event_id="evt_1", kind="checkout.session.completed", **session):
    payload = {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {
            "object": {
                "id": "cs_test_1",
                "object": "checkout.session",
                "payment_status": "paid",
                "amount_total": order.gross_cents,
                "currency": "eur",
                "client_reference_id": str(order.id),
                "metadata": {
                    "order_id": str(order.id),
                    "order_number": order.number,
                    "method": "card",
                },  # fmt: skip
                **session,
            }
        },
    }
    return json.dumps(payload).encode()


def stripe_signature(payload: bytes, timestamp=None, secret=WEBHOOK_SECRET) -> str:
    """Exactly as Stripe documents: v1 = HMAC-SHA256(secret, f"{t}.{payload}")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


def post_stripe(client, payload, signature):
    return client.post(
        "/payments/webhooks/stripe",
        data=payload,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


def test_stripe_completed_session_is_verified_and_applied_once(stripe_app):
    client = stripe_app.test_client()
    box, order = anna_order()
    payload = stripe_event(order)
    answers = [post_stripe(client, payload, stripe_signature(payload)) for _ in range(3)]
    assert [a.get_data(as_text=True) for a in answers] == [
        "applied",
        "duplicate_event",
        "duplicate_event",
    ]
    assert expiry(box) == dt.date(2029, 3, 15)
    with db.connection_context():
        payment = Payment.get()
        assert (payment.provider, payment.reference, payment.status) == (
            "stripe",
            "cs_test_1",
            "registered",
        )


def test_a_tampered_stripe_payload_changes_nothing(stripe_app):
    client = stripe_app.test_client()
    box, order = anna_order()
    payload = stripe_event(order)
    signature = stripe_signature(payload)
    tampered = payload.replace(b'"amount_total": 488', b'"amount_total": 1')
    assert post_stripe(client, tampered, signature).status_code == 400
    other_secret = stripe_signature(payload, secret="whsec_someone_else")
    assert post_stripe(client, payload, other_secret).status_code == 400
    assert post_stripe(client, payload, "").status_code == 400
    assert expiry(box) == dt.date(2026, 3, 15)
    with db.connection_context():
        assert GatewayEvent.select().count() == 0 and Payment.select().count() == 0


def test_a_stale_stripe_signature_is_refused(stripe_app):
    client = stripe_app.test_client()
    box, order = anna_order()
    payload = stripe_event(order)
    stale = stripe_signature(payload, timestamp=int(time.time()) - 301)
    assert post_stripe(client, payload, stale).status_code == 400
    fresh_enough = stripe_signature(payload, timestamp=int(time.time()) - 250)
    assert post_stripe(client, payload, fresh_enough).get_data(as_text=True) == "applied"


def test_an_unpaid_completion_waits_and_the_async_success_applies(stripe_app):
    client = stripe_app.test_client()
    box, order = anna_order(method="paypal")
    unpaid = stripe_event(order, payment_status="unpaid")
    assert post_stripe(client, unpaid, stripe_signature(unpaid)).get_data(as_text=True) == (
        "ignored"
    )
    assert expiry(box) == dt.date(2026, 3, 15)
    later = stripe_event(order, event_id="evt_2", kind="checkout.session.async_payment_succeeded")
    assert post_stripe(client, later, stripe_signature(later)).get_data(as_text=True) == "applied"
    assert expiry(box) == dt.date(2029, 3, 15)


def test_a_stripe_payment_below_the_total_counts_without_renewing(stripe_app):
    client = stripe_app.test_client()
    box, order = anna_order()
    payload = stripe_event(order, amount_total=100)
    answer = post_stripe(client, payload, stripe_signature(payload)).get_data(as_text=True)
    assert answer == "partial" and expiry(box) == dt.date(2026, 3, 15)


def test_other_stripe_events_are_acknowledged_and_ignored(stripe_app):
    client = stripe_app.test_client()
    payload = json.dumps({"id": "evt_9", "object": "event", "type": "customer.created",
                          "created": int(time.time()), "data": {"object": {}}}).encode()  # fmt: skip
    response = post_stripe(client, payload, stripe_signature(payload))
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ignored")


def test_only_the_configured_gateways_webhook_answers(stripe_app, app, demo):
    stripe_client = stripe_app.test_client()
    assert stripe_client.post("/payments/webhooks/demo", data=b"{}").status_code == 404
    demo_client = app.test_client()
    assert demo_client.post("/payments/webhooks/stripe", data=b"{}").status_code == 404


def test_a_stripe_misconfiguration_stops_the_app_at_start(tmp_path):
    with pytest.raises(RuntimeError, match="STRIPE_WEBHOOK_SECRET"):
        make_app(tmp_path, PEC_PAYMENT_GATEWAY="stripe", STRIPE_SECRET_KEY="sk_test_x")
    with pytest.raises(RuntimeError, match="PEC_PAYMENT_GATEWAY"):
        make_app(tmp_path, PEC_PAYMENT_GATEWAY="paypal-direct")


class RecordingStripeHTTP(stripe.HTTPClient):
    """Stands in for the network only: records the request the real adapter makes."""

    name = "recording"

    def __init__(self):
        super().__init__()
        self.requests = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.requests.append((method, url, dict(headers or {}), post_data))
        body = {"id": "cs_test_new", "object": "checkout.session",
                "url": "https://checkout.stripe.com/c/pay/cs_test_new"}  # fmt: skip
        return json.dumps(body), 200, {}

    def close(self):
        pass


def test_stripe_checkout_session_is_created_with_our_amount_and_idempotency_key(stripe_app):
    http = RecordingStripeHTTP()
    gateway = StripeGateway("sk_test_x", WEBHOOK_SECRET, "https://portal.example.org", http)
    _, order = anna_order()
    with stripe_app.test_request_context(), db.connection_context():
        attempt = Payment.create(order=order, method="card", provider="stripe",
                                 amount_cents=488, status="pending")  # fmt: skip
        session = gateway.start_checkout(
            order, attempt, return_url=f"/payments/{order.id}/return",
            cancel_url=f"/payments/{order.id}/checkout", language="it",
        )  # fmt: skip
    assert session == CheckoutSession(
        "cs_test_new", "https://checkout.stripe.com/c/pay/cs_test_new"
    )
    method, url, headers, post_data = http.requests[0]
    assert (method, url) == ("post", "https://api.stripe.com/v1/checkout/sessions")
    assert headers["Idempotency-Key"] == f"pec-payment-attempt-{attempt.id}"
    form = parse_qs(post_data)
    assert form["line_items[0][price_data][unit_amount]"] == ["488"]
    assert form["line_items[0][price_data][currency]"] == ["eur"]
    assert form["client_reference_id"] == [str(order.id)]
    assert form["metadata[order_number]"] == [order.number]
    assert form["metadata[payment_id]"] == [str(attempt.id)]
    assert form["payment_method_types[0]"] == ["card"]
    success = urlsplit(form["success_url"][0])
    assert success.netloc == "portal.example.org"
    assert success.query == "session={CHECKOUT_SESSION_ID}"


class FakeGateway:
    """The same interface as the real gateways, for the checkout view alone."""

    name = "fake"

    def __init__(self, fail=False):
        self.fail = fail
        self.started = []

    def start_checkout(self, order, attempt, *, return_url, cancel_url, language):
        self.started.append((order.id, attempt.id, return_url, cancel_url, language))
        if self.fail:
            raise GatewayUnavailable("connection refused")
        return CheckoutSession(f"fake_{attempt.id}", "https://pay.example.com/s/1")

    def parse_notification(self, raw_body, headers):  # pragma: no cover - not used
        raise NotImplementedError


def test_checkout_starts_one_attempt_and_sends_the_browser_to_the_provider(app, member, demo):
    gateway = FakeGateway()
    app.extensions["pec_payment_gateway"] = gateway
    _, order = anna_order()
    member.login("anna.bianchi@pec.demo.it", "demo-password")
    response = member.post(f"/payments/{order.id}/checkout")
    assert (response.status_code, response.headers["Location"]) == (
        303,
        "https://pay.example.com/s/1",
    )
    with db.connection_context():
        attempt = Payment.get()
        assert (attempt.status, attempt.reference, attempt.amount_cents) == (
            "pending",
            f"fake_{attempt.id}",
            488,
        )
        assert Order.get_by_id(order.id).status == "awaiting_payment"  # nothing registered
    assert gateway.started[0][2] == f"/payments/{order.id}/return"


def test_an_unreachable_provider_gets_a_clear_message_not_a_500(app, member, demo):
    app.extensions["pec_payment_gateway"] = FakeGateway(fail=True)
    _, order = anna_order()
    member.login("anna.bianchi@pec.demo.it", "demo-password")
    response = member.post(f"/payments/{order.id}/checkout")
    assert response.status_code == 503
    assert "Il servizio di pagamento non risponde" in response.get_data(as_text=True)
    with db.connection_context():
        assert Payment.get().status == "failed"
