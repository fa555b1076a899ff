"""The gateways' side, under /payments: webhook endpoints (no CSRF: they are
authenticated by their signature on the raw body) and the demo provider's hosted page."""

import logging
from collections.abc import Mapping

from flask import Blueprint, abort, redirect, request
from flask_wtf import FlaskForm

from pec.domain import clock
from pec.domain.payments import receive_notification
from pec.extensions import csrf
from pec.input_limits import reads_its_own_body
from pec.member_mail import MemberMail
from pec.payments.gateways import (
    DemoGateway,
    Gateway,
    SignatureError,
    checked,
    current_gateway,
)
from pec.rendering import render_page

log = logging.getLogger(__name__)

bp = Blueprint("gateways", __name__, url_prefix="/payments")


def receive(gateway: Gateway, raw_body: bytes, headers: Mapping[str, str]):
    """Verify a notification on its raw bytes, then act on it once (dedupe on event id)."""
    try:
        event = checked(gateway.parse_notification(raw_body, headers))
    except SignatureError as error:
        log.warning(
            "rejected %s notification from %s: %s", gateway.name, request.remote_addr, error
        )
        return "invalid signature", 400
    outcome = receive_notification(event, today=clock.today(), notices=MemberMail())
    log.info("%s event %s: %s", gateway.name, event.event_id, outcome)
    return outcome, 200


def _gateway_named(name: str) -> Gateway:
    gateway = current_gateway()
    if gateway.name != name:
        abort(404)  # only the configured provider's notifications are accepted
    return gateway


@bp.post("/webhooks/demo")
@csrf.exempt
@reads_its_own_body
def demo_webhook():
    return receive(_gateway_named("demo"), request.get_data(), request.headers)


@bp.post("/webhooks/stripe")
@csrf.exempt
@reads_its_own_body
def stripe_webhook():
    return receive(_gateway_named("stripe"), request.get_data(), request.headers)


@bp.route("/demo-gateway/<token>", methods=["GET", "POST"])
def demo_gateway(token: str):
    """The simulated provider's hosted page: approve or decline, then it notifies us and
    sends the browser back, as a real provider does. No money moves."""
    gateway = current_gateway()
    if not isinstance(gateway, DemoGateway):
        abort(404)
    session = gateway.open_session(token)
    if session is None:
        abort(404)
    form = FlaskForm()
    if form.validate_on_submit():
        decision = request.form.get("decision")
        if decision not in ("approve", "decline"):
            abort(400)
        body, headers = gateway.notification_for(session, approved=decision == "approve")
        # The provider's call to our webhook, made in-process (no HTTP round trip to
        # ourselves): the same signed bytes go through the same verification.
        receive(gateway, body, headers)
        return redirect(f"{session['return_url']}?session={session['session']}", 303)
    return render_page("payments/demo_gateway.html", session=session, form=form)
