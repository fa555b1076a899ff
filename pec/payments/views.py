"""Paying an order: online checkout, reported transfers/slips, prefilled slip, receipt.

CONTRACT: these endpoints exist with these URLs; the payments issue implements them.
"""

from flask import Blueprint, abort

from pec.auth.session import member_required

bp = Blueprint("payments", __name__, url_prefix="/payments")


@bp.route("/<int:order_id>/checkout", methods=["GET", "POST"])
@member_required
def checkout(order_id: int):
    """Card / PayPal: start the gateway's hosted payment for the order."""
    abort(501)


@bp.route("/<int:order_id>/report", methods=["GET", "POST"])
@member_required
def report(order_id: int):
    """Pagamenti: the member reports a bank transfer or a blank slip (SPEC §2.10)."""
    abort(501)


@bp.get("/<int:order_id>/slip")
@member_required
def slip(order_id: int):
    """The printable prefilled postal slip (Bollettino precompilato)."""
    abort(501)


@bp.get("/<int:order_id>/receipt")
@member_required
def receipt(order_id: int):
    """The printable receipt of a paid order (SPEC §2.11)."""
    abort(501)
