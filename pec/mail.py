"""E-mail rendering into the outbox (SPEC §5). Delivery lives in pec.delivery."""

from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale

from pec.domain.outbox import Email, enqueue


def external_url(endpoint: str, **values) -> str:
    """An absolute link for e-mails, built from PEC_BASE_URL (works outside requests)."""
    base = urlsplit(current_app.config["PEC_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def render_email(kind: str, *, to: str, language: str, subject, **context) -> Email:
    """Render emails/<kind>.txt and .html in the member's language."""
    with force_locale(language):
        context.update(language=language)
        return Email(
            kind=kind,
            to_address=to,
            subject=str(subject),
            body_text=render_template(f"emails/{kind}.txt", **context),
            body_html=render_template(f"emails/{kind}.html", **context),
            language=language,
        )


def queue_email(
    kind: str, *, to: str, language: str, subject, dedupe_key=None, links=None, **context
):
    """Render and queue an e-mail in the caller's transaction. `links` ties it to
    account/mailbox/order rows so operators see it in their history."""
    email = render_email(kind, to=to, language=language, subject=subject, **context)
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    domain = sender.rpartition("@")[2].strip(">") or "localhost"
    return enqueue(email, sender_domain=domain, dedupe_key=dedupe_key, **(links or {}))


def queue_order_email(kind: str, order, *, subject, dedupe_key=None, **context):
    """An e-mail about `order` to its holder's reference address, in the order's
    language, tied to the order and account so operators see it in their history."""
    account = order.account
    context.setdefault("name", account.display_name)
    return queue_email(
        kind,
        to=account.reference_email,
        language=order.language or account.language,
        subject=subject,
        dedupe_key=dedupe_key,
        links={"account": account, "order": order},
        order=order,
        **context,
    )
