"""Online payment gateways behind one small interface (card and PayPal, docs/rules.md, member journey 7).

A gateway does two things: start a hosted checkout for an order (`start_checkout`,
the only network call, made outside any transaction) and turn a provider's signed
notification into a `GatewayNotification` (`parse_notification`, raising
`SignatureError` when it cannot be trusted). What a notification does to the order is
decided by pec.domain.payments.receive_notification, never by the browser's return.

- `DemoGateway`: a hosted page served by this app, clearly a simulation; it signs its
  notifications like Stripe does (t=…,v1=HMAC-SHA256 of "t.payload") with a key derived
  from SECRET_KEY (or PEC_DEMO_GATEWAY_KEY).
- `StripeGateway`: Stripe Checkout through the official `stripe` package.
"""

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import stripe
from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from pec.domain import clock
from pec.domain.money import MAX_CENTS
from pec.domain.payments import (
    EVENT_FAILED,
    EVENT_IGNORED,
    EVENT_SUCCEEDED,
    GatewayNotification,
)
from pec.input_limits import MAX_ID, has_control_characters, parse_id
from pec.models import Order, Payment
from pec.vocabulary import PaymentMethod

SIGNATURE_TOLERANCE_SECONDS = 300
log = logging.getLogger(__name__)


class SignatureError(Exception):
    """The notification's signature is missing, wrong or too old."""


class GatewayUnavailable(Exception):
    """The provider could not start a checkout (network, configuration, refusal)."""


@dataclass(frozen=True)
class CheckoutSession:
    reference: str  # the provider's session id; our attempt's Payment.reference
    url: str  # where to send the member's browser


class Gateway(Protocol):
    name: str

    def start_checkout(
        self, order: Order, attempt: Payment, *, return_url: str, cancel_url: str, language: str
    ) -> CheckoutSession:
        """Create the provider's hosted checkout for `attempt` (URLs are our paths)."""

    def parse_notification(
        self, raw_body: bytes, headers: Mapping[str, str]
    ) -> GatewayNotification:
        """Verify and translate a notification; raise SignatureError if untrusted."""


def _online_method(value) -> PaymentMethod:
    """The online method named in a checkout's metadata (card if it names none)."""
    try:
        method = PaymentMethod(value)
    except ValueError:
        return PaymentMethod.CARD
    return method if method.is_online else PaymentMethod.CARD


def _day_of(timestamp: int) -> dt.date:
    try:
        moment = dt.datetime.fromtimestamp(int(timestamp), dt.UTC)
    except (OverflowError, OSError):
        raise ValueError(f"not a time: {timestamp!r}") from None
    return moment.astimezone(clock.ROME).date()


def _bounded(value, limit: int) -> int:
    """A signed notification's number, within what we keep (a larger amount or order id
    is no payment of ours and would overflow an integer column)."""
    number = int(value)
    if not 0 <= number <= limit:
        raise ValueError(f"out of range: {number}")
    return number


# The provider's ids we keep (event id, session reference, failure reason) are short.
MAX_ID_TEXT = 200


def checked(event: GatewayNotification) -> GatewayNotification:
    """A signed notification is still refused (as malformed) when its ids could not be
    kept: too long for their column, or with control characters (PostgreSQL refuses a
    NUL in text)."""
    for name in ("event_id", "reference", "reason"):
        value = getattr(event, name)
        if len(value) > MAX_ID_TEXT or has_control_characters(value):
            raise SignatureError(f"malformed notification: unusable {name}")
    return event


# --- The demo gateway ------------------------------------------------------------------


def sign_payload(payload: bytes, secret: str, timestamp: int) -> str:
    """A `t=…,v1=…` signature header over "timestamp.payload" (Stripe's scheme)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(payload: bytes, header: str | None, secret: str, now: float) -> None:
    """Raise SignatureError unless `header` signs `payload` within the tolerance."""
    parts = {}
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise SignatureError("no timestamp") from None
    expected = sign_payload(payload, secret, timestamp).rpartition("v1=")[2]
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise SignatureError("signature mismatch")
    if abs(now - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
        raise SignatureError("timestamp outside the tolerance")


class DemoGateway:
    """A simulated provider: no money moves. Its hosted page is pec.payments.webhooks."""

    name = "demo"
    signature_header = "Pec-Demo-Signature"

    def __init__(self, key: str):
        self.key = key

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.key, salt="pec-demo-checkout")

    def start_checkout(self, order, attempt, *, return_url, cancel_url, language):
        reference = "demo_cs_" + secrets.token_urlsafe(18)
        token = self._serializer().dumps(
            {
                "session": reference,
                "order_id": order.id,
                "order_number": order.number,
                "amount_cents": order.gross_cents,
                "method": attempt.method,
                "return_url": return_url,
                "cancel_url": cancel_url,
            }
        )
        return CheckoutSession(reference, url_for("gateways.demo_gateway", token=token))

    def open_session(self, token: str) -> dict | None:
        """The hosted page's view of a session (None if forged or older than a day)."""
        try:
            return self._serializer().loads(token, max_age=24 * 3600)
        except BadSignature:
            return None

    def notification_for(self, session: dict, approved: bool) -> tuple[bytes, dict]:
        """The body and headers the provider posts to our webhook after the decision."""
        outcome = "succeeded" if approved else "failed"
        now = int(clock.now().timestamp())
        body = json.dumps(
            {
                # One event per session and outcome: a double click is a replay.
                "id": f"evt_{session['session']}_{outcome}",
                "type": f"payment.{outcome}",
                "created": now,
                "data": {
                    "session": session["session"],
                    "order_id": session["order_id"],
                    "order_number": session["order_number"],
                    "amount_cents": session["amount_cents"],
                    "currency": "EUR",
                    "method": session["method"],
                },
            },
            sort_keys=True,
        ).encode()
        return body, {
            "Content-Type": "application/json",
            self.signature_header: sign_payload(body, self.key, now),
        }

    def parse_notification(self, raw_body, headers):
        verify_signature(
            raw_body, headers.get(self.signature_header), self.key, clock.now().timestamp()
        )
        try:
            event = json.loads(raw_body)
            data = event["data"]
            kind = {"payment.succeeded": EVENT_SUCCEEDED, "payment.failed": EVENT_FAILED}.get(
                event["type"], EVENT_IGNORED
            )
            return GatewayNotification(
                provider=self.name,
                event_id=str(event["id"]),
                kind=kind if data.get("currency") == "EUR" else EVENT_IGNORED,
                reference=str(data["session"]),
                order_id=_bounded(data["order_id"], MAX_ID),
                amount_cents=_bounded(data["amount_cents"], MAX_CENTS),
                method=str(data.get("method") or "card"),
                paid_on=_day_of(event["created"]),
                payload=raw_body.decode(),
                reason="declined" if kind == EVENT_FAILED else "",
            )
        except (ValueError, KeyError, TypeError) as error:
            raise SignatureError(f"malformed notification: {error}") from None


# --- Stripe Checkout -------------------------------------------------------------------

STRIPE_SUCCEEDED = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
STRIPE_FAILED = ("checkout.session.async_payment_failed", "checkout.session.expired")


class StripeGateway:
    """Stripe Checkout (card or PayPal); verified webhooks register the payment."""

    name = "stripe"
    signature_header = "Stripe-Signature"

    def __init__(self, secret_key: str, webhook_secret: str, base_url: str, http_client=None):
        self.webhook_secret = webhook_secret
        base = urlsplit(base_url)
        self.origin = f"{base.scheme}://{base.netloc}"  # our paths already carry any prefix
        self.client = stripe.StripeClient(secret_key, http_client=http_client)

    def start_checkout(self, order, attempt, *, return_url, cancel_url, language):
        metadata = {
            "order_id": str(order.id),
            "order_number": order.number,
            "payment_id": str(attempt.id),
            "method": attempt.method,
        }
        params = {
            "mode": "payment",
            "payment_method_types": ["paypal" if attempt.method == "paypal" else "card"],
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": order.gross_cents,
                        "product_data": {"name": f"Rinnovo PEC – ordine N° {order.number}"},
                    },
                }
            ],
            "client_reference_id": str(order.id),
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "customer_email": order.account.reference_email,
            "locale": language if language in ("it", "en") else "auto",
            # Stripe fills in the session id; the return page only reads, never registers.
            "success_url": self.origin + return_url + "?session={CHECKOUT_SESSION_ID}",
            "cancel_url": self.origin + cancel_url,
        }
        try:
            session = self.client.v1.checkout.sessions.create(
                params, {"idempotency_key": f"pec-payment-attempt-{attempt.id}"}
            )
        except stripe.StripeError as error:
            raise GatewayUnavailable(str(error)) from error
        return CheckoutSession(session.id, session.url)

    def parse_notification(self, raw_body, headers):
        try:
            event = stripe.Webhook.construct_event(
                raw_body,
                headers.get(self.signature_header),
                self.webhook_secret,
                tolerance=SIGNATURE_TOLERANCE_SECONDS,
            )
        except stripe.SignatureVerificationError as error:
            raise SignatureError(str(error)) from None
        except ValueError as error:
            raise SignatureError(f"malformed notification: {error}") from None
        # Verified: read the fields we need from the very bytes that were signed.
        try:
            return self._notification(raw_body, event)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise SignatureError(f"malformed notification: {error!r}") from None

    def _notification(self, raw_body, event):
        body = json.loads(raw_body)
        if not body.get("id"):
            raise ValueError("an event without an id cannot be deduplicated")
        event_type = str(body.get("type", ""))
        session = (body.get("data") or {}).get("object") or {}
        kind = EVENT_IGNORED
        if event_type in STRIPE_SUCCEEDED:
            # "unpaid" completions are delayed methods: wait for async_payment_succeeded.
            if session.get("payment_status") == "paid" and session.get("currency") == "eur":
                kind = EVENT_SUCCEEDED
        elif event_type in STRIPE_FAILED:
            kind = EVENT_FAILED
        if not event_type.startswith("checkout.session."):
            return GatewayNotification(self.name, str(body.get("id") or event.id), EVENT_IGNORED)
        metadata = session.get("metadata") or {}
        order_id = str(metadata.get("order_id") or session.get("client_reference_id") or "")
        return GatewayNotification(
            provider=self.name,
            event_id=str(body["id"]),
            kind=kind,
            reference=str(session.get("id") or ""),
            order_id=parse_id(order_id),
            amount_cents=_bounded(session.get("amount_total") or 0, MAX_CENTS),
            method=_online_method(metadata.get("method")),
            paid_on=_day_of(body.get("created") or 0),
            payload=raw_body.decode(),
            reason=event_type if kind == EVENT_FAILED else "",
        )


# --- Choosing one ----------------------------------------------------------------------

GATEWAYS = ("demo", "stripe")


def demo_key(config) -> str:
    """PEC_DEMO_GATEWAY_KEY, or a key derived from SECRET_KEY (never SECRET_KEY itself)."""
    if config.get("PEC_DEMO_GATEWAY_KEY"):
        return config["PEC_DEMO_GATEWAY_KEY"]
    return hmac.new(
        str(config["SECRET_KEY"]).encode(), b"pec-demo-gateway", hashlib.sha256
    ).hexdigest()


def check_config(config) -> None:
    """Fail at start-up, not at a member's payment, on a wrong gateway setting; warn
    when the simulation (renewals without money) serves a public https address."""
    chosen = config.get("PEC_PAYMENT_GATEWAY", "demo")
    if chosen not in GATEWAYS:
        raise RuntimeError(f"PEC_PAYMENT_GATEWAY must be one of {GATEWAYS}, not {chosen!r}")
    if chosen == "stripe" and not (
        config.get("STRIPE_SECRET_KEY") and config.get("STRIPE_WEBHOOK_SECRET")
    ):
        raise RuntimeError(
            "PEC_PAYMENT_GATEWAY=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET"
        )
    if chosen == "demo" and str(config.get("PEC_BASE_URL", "")).startswith("https://"):
        log.warning(
            "PEC_PAYMENT_GATEWAY=demo on %s: online payments are SIMULATED and renew "
            "mailboxes without money; set PEC_PAYMENT_GATEWAY=stripe for real payments",
            config["PEC_BASE_URL"],
        )


def current_gateway() -> Gateway:
    """The configured gateway; tests may put another object with the same interface in
    app.extensions["pec_payment_gateway"]."""
    override = current_app.extensions.get("pec_payment_gateway")
    if override is not None:
        return override
    config = current_app.config
    if config.get("PEC_PAYMENT_GATEWAY", "demo") == "stripe":
        return StripeGateway(
            config["STRIPE_SECRET_KEY"], config["STRIPE_WEBHOOK_SECRET"], config["PEC_BASE_URL"]
        )
    return DemoGateway(demo_key(config))
