"""The operators' area (SPEC §3). CONTRACT: mounted under /operators; the operators
issue implements it."""

from flask import Blueprint, abort

bp = Blueprint("operators", __name__, url_prefix="/operators")


@bp.route("/login", methods=["GET", "POST"])
def login():
    abort(501)
