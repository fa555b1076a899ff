"""Links that pages and e-mails share: absolute URLs from PEC_BASE_URL (they work
outside a request, for the daily jobs), and where each payment method is paid."""

import re
from urllib.parse import urlsplit

from flask import current_app

from pec.vocabulary import PaymentMethod


def external_url(endpoint: str, **values) -> str:
    """An absolute link for e-mails, built from PEC_BASE_URL (works outside requests)."""
    base = urlsplit(current_app.config["PEC_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def pay_endpoint(method: PaymentMethod) -> str:
    """Where a method is paid: the gateway's checkout, the printable slip, or the
    member's report of a payment made elsewhere."""
    if method.is_online:
        return "payments.checkout"
    if method.has_printable_slip:
        return "payments.slip"
    return "payments.report"


def login_link(login: str) -> str:
    """The Area Clienti login with `login` prefilled, then Gestione PEC."""
    next_path = urlsplit(external_url("mailboxes.index")).path
    return external_url("auth.login", login=login, next=next_path)


def rebase(text: str, old_base: str, new_base: str) -> str:
    """`text` with every link written on `old_base` moved onto `new_base`: an e-mail
    queued before PEC_BASE_URL changed still sends members to the right host."""
    old, new = (old_base or "").rstrip("/"), (new_base or "").rstrip("/")
    if not text or not old or old == new:
        return text
    return re.sub(re.escape(old) + r"(?=[/?#\s\"'<>)]|$)", lambda _m: new, text)
