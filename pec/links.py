"""Links that pages and e-mails share: absolute URLs from PEC_BASE_URL (they work
outside a request, for the daily jobs), members' personal access links (R11), and where
each payment method is paid."""

import datetime as dt
import re
from urllib.parse import quote, urlsplit

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from pec.domain import clock
from pec.domain.access_links import LINK_LIFETIME
from pec.vocabulary import PaymentMethod

# Its own salt: a token signed for anything else (session, CSRF) is never a link.
_LINK_SALT = "pec.renewal-link"


def external_url(endpoint: str, **values) -> str:
    """An absolute link for e-mails, built from PEC_BASE_URL (works outside requests)."""
    base = urlsplit(current_app.config["PEC_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_LINK_SALT)


def renewal_link(mailbox, *, until: dt.date | None = None, next_path: str = "") -> str:
    """The personal "Rinnova ora" link of `mailbox` (R11): signed, bound to the mailbox,
    to its account's access epoch and to its last day (`until`; 30 days by default).
    `next_path` (a page of that mailbox, e.g. its order's payment) is where it lands
    instead of the renewal."""
    last_on = until or clock.today() + LINK_LIFETIME
    token = _serializer().dumps([mailbox.id, mailbox.account.access_epoch, last_on.toordinal()])
    url = external_url("auth.links.open", token=token)
    # The path stays readable in the e-mail ("/" needs no escaping in a query).
    return f"{url}?next={quote(next_path, safe='/')}" if next_path else url


def read_renewal_link(token: str) -> tuple[int, int, dt.date] | None:
    """(mailbox id, access epoch, last day) of a link we signed, or None."""
    try:
        payload = _serializer().loads(token)
    except BadData:
        return None
    if (
        not isinstance(payload, list)
        or len(payload) != 3
        or not all(isinstance(x, int) and not isinstance(x, bool) for x in payload)
    ):
        return None
    mailbox_id, epoch, ordinal = payload
    try:
        return mailbox_id, epoch, dt.date.fromordinal(ordinal)
    except (ValueError, OverflowError):
        return None


def path_of(endpoint: str, **values) -> str:
    """The path of a page (for a link's `next`), without scheme and host."""
    return urlsplit(external_url(endpoint, **values)).path


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
