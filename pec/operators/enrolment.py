"""What the two-factor enrolment page shows: the QR code, rendered here as SVG (segno;
no image request, no JavaScript, no third party), and the secret for typing by hand."""

from urllib.parse import urlsplit

import segno
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup, escape

from pec.domain import two_factor
from pec.models import Operator


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
