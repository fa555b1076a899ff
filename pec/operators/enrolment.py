"""What the two-factor enrolment page shows: the QR code, rendered here as SVG (segno;
no image request, no JavaScript, no third party), and the secret for typing by hand."""

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlsplit

import segno
from flask import current_app, request
from flask_babel import gettext as _
from markupsafe import Markup, escape

from pec.domain import two_factor
from pec.models import Operator
from pec.operators.forms import CodeForm
from pec.rendering import render_page


def wall_clock() -> dt.datetime:
    """Codes follow the real time of the operator's phone, never a moved business clock."""
    return dt.datetime.now(dt.UTC)


def issuer() -> str:
    """The name authenticator apps list the code under: the portal and its host."""
    host = urlsplit(current_app.config["PEC_BASE_URL"]).hostname or ""
    return f"Rinnovo PEC ({host})" if host else "Rinnovo PEC"


def qr_svg(text: str) -> Markup:
    """`text` as an inline SVG QR code on white, with a text alternative."""
    svg = segno.make(text, error="m").svg_inline(
        scale=5, border=4, dark="#000", light="#fff", svgclass="qr"
    )
    label = _("Immagine QR da inquadrare con l'app di autenticazione")
    labelled = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
    return Markup(labelled)  # noqa: S704 - segno's own SVG and an escaped label


def enrolment(operator: Operator) -> dict:
    """The secret being enrolled, grouped for reading, and its QR code."""
    secret = two_factor.enrolment_secret(operator)
    uri = two_factor.provisioning_uri(secret, operator.email, issuer())
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"secret": grouped, "qr": qr_svg(uri)}


def enrol_page(operator: Operator, *, action: str, then: Callable[[], str], **context):
    """The enrolment form, at sign-in or from the profile. The right code turns two-factor
    on and shows the recovery codes once, with a link to `then()` (called only then: at
    sign-in it completes the sign-in); a wrong one shows the form again, with the QR code."""
    form = CodeForm()
    if form.validate_on_submit():
        codes = two_factor.enable(
            operator, form.code.data, now=wall_clock(), ip=request.remote_addr or ""
        )
        if codes is not None:
            return render_page("operators/recovery_codes.html", codes=codes, next_url=then())
        form.code.errors.append(
            _("Codice non valido. Controlla l'ora del telefono e inserisci il codice attuale.")
        )
    return render_page(
        "operators/two_factor_enrol.html",
        status=422 if form.errors else 200,
        form=form,
        action=action,
        **context,
        **enrolment(operator),
    )
