"""Paying orders (SPEC §2.7, §2.10, §2.11): one blueprint, its views in views.py and the
gateways' endpoints (webhooks, the demo provider's hosted page) in webhooks.py."""

from flask import Blueprint

bp = Blueprint("payments", __name__, url_prefix="/payments")


@bp.record_once
def _check_gateway_config(state) -> None:
    from pec.payments.gateways import check_config

    check_config(state.app.config)
