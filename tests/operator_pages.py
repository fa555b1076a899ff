"""Every page of the operators' area, filled with realistic data made through the real
domain verbs (so the audit log holds one event of each kind), for the tests that read
every page: no internal id or JSON on any of them, axe, screenshots."""

import datetime as dt
import re
from html.parser import HTMLParser

from pec.domain import (
    access_links,
    accounts,
    audit,
    clock,
    convention_settings,
    members,
    operator_accounts,
    payments,
    refunds,
    renewal,
    roster,
)
from pec.domain.job_runs import JOB_SEND_OUTBOX, JobResult, run_job
from pec.models import (
    Convention,
    IdentityDocument,
    Mailbox,
    Operator,
    OutboxMessage,
)
from pec.vocabulary import Role
from tests.factories import make_identity_document, make_order, pay, refund
from tests.notices import RecordingNotices

ROSTER = (
    b"convention_code;pec_address;expires_on;fiscal_code;reference_email;first_name;last_name\n"
    b"FNOMCeO;luca.neri@pec.demo.it;15/09/2026;NREFNC80A01H501J;luca.neri@example.org;Luca;Neri\n"
)


class _Messages:
    """Operator e-mails as the tests see them: the links, by operator e-mail."""

    def __init__(self):
        self.links = {}

    def invitation(self, operator, token, invited_by):
        self.links[operator.email] = token

    def password_reset(self, operator, token, reset_by):
        self.links[operator.email] = token


def populate(app, today: dt.date) -> dict:
    """Data behind every page (the demo data must be loaded). Returns the ids the
    pages' URLs need."""
    admin = Operator.get(Operator.email == "admin@example.org")
    if not admin.name:
        Operator.update(name="Giulia Verdi").where(Operator.id == admin.id).execute()
        admin = Operator.get_by_id(admin.id)
    who = operator_accounts.actor_of(admin)
    notices = RecordingNotices()
    anna_box = Mailbox.get(Mailbox.address == "anna.bianchi@pec.demo.it")
    mario_box = Mailbox.get(Mailbox.address == "mario.rossi@pec.demo.it")
    studio = Mailbox.get(Mailbox.address == "studio.rossi@pec.demo.it")
    # An order a member reported a transfer for, one paid, one with money to verify,
    # one cancelled.
    reported = make_order([anna_box], number="B6KRJV3H")
    audit.record(
        f"member:mailbox:{anna_box.id}",
        "order.confirmed",
        reported,
        {"method": "bank_transfer", "number": "B6KRJV3H"},
    )
    payments.report_payment(
        reported,
        method="bank_transfer",
        amount_cents=reported.gross_cents,
        paid_on=today,
        reference="CRO-0001",
        actor=f"member:mailbox:{anna_box.id}",
    )
    paid = make_order([mario_box], number="K7M4Q9X2")
    pay(paid, reference="TRN-42", today=today, actor=who, notices=notices, paid_on=today)
    flagged = make_order([studio], number="P3RTWX7Z")
    pay(
        flagged,
        400,
        reference="BANK-7",
        today=today,
        provider="statement",
        actor=who,
        notices=notices,
        paid_on=today,
    )
    # …completed by a second payment that goes beyond the total: part refunded, part kept.
    pay(
        flagged,
        600,
        reference="BANK-8",
        today=today,
        provider="statement",
        actor=who,
        notices=notices,
        paid_on=today,
    )
    refund(flagged, 100, reference="TRN-BACK-1", today=today, actor=who, notices=notices)
    refunds.accept_money(flagged, amount_cents=12, reason="Pochi centesimi", actor=who, today=today)
    lapsed = Mailbox.get(Mailbox.address == "m.rossi@pec.demo.it")
    renewal.cancel_order(
        make_order([lapsed], number="C4NC3LLD"),
        now=clock.now(),
        actor=who,
        reason="Doppio ordine",
        notices=notices,
    )
    # Members by hand, a roster import, settings and a contract version.
    box = members.create_member(
        Convention.get(Convention.code == "FNOMCeO"),
        {
            "person_type": "person",
            "first_name": "Paola",
            "last_name": "Gialli",
            "fiscal_code": "GLLPLA80A41H501P",
            "reference_email": "paola.gialli@example.org",
        },
        "paola.gialli@example.org",
        members.NewMailbox("paola.gialli@pec.demo.it", today + dt.timedelta(days=300)),
        actor=who,
    )
    members.update_mailbox(
        box, address=box.address, expires_on=today + dt.timedelta(days=301), actor=who
    )
    access_links.send_access_link(box, notices=notices, actor=who)
    accounts.send_first_access(box.account, clock.now(), notices=notices, actor=who)
    access_links.revoke_links(box.account, actor=who)
    roster.apply(ROSTER, actor=who, filename="iscritti.csv")
    convention = Convention.get(Convention.code == "FNOMCeO")
    convention_settings.update_convention(
        convention, {"price_cents": 500, "reminder_offsets": "60,30,7"}, actor=who
    )
    # Staff: an invited clerk (with a pending link) and a disabled one.
    messages = _Messages()
    clerk = operator_accounts.invite(
        "Luca Neri",
        "luca.neri@example.org",
        Role.OPERATOR,
        by=admin,
        now=clock.now(),
        messages=messages,
    )
    gone = operator_accounts.invite(
        "Sara Blu",
        "sara.blu@example.org",
        Role.OPERATOR,
        by=admin,
        now=clock.now(),
        messages=messages,
    )
    operator_accounts.set_active(gone, False, by=admin)
    # An identity document waiting, job runs of every job, an outbox message.
    make_identity_document(anna_box.account, original_name="carta-identita.pdf")
    from pec import jobs

    with app.test_request_context():
        jobs.run_daily(today)
    run_job(JOB_SEND_OUTBOX, today, lambda: JobResult())
    message = OutboxMessage.select().order_by(OutboxMessage.id).first()
    return {
        "order_id": reported.id,
        "mailbox_id": anna_box.id,
        "account_id": anna_box.account_id,
        "operator_id": clerk.id,
        "message_id": message.id,
        "document_id": IdentityDocument.select().first().id,
        "convention_id": convention.id,
        "token": messages.links["luca.neri@example.org"],
    }


# Pages that are not HTML pages of their own, or need an upload made first.
NOT_PAGES = {
    "operators.documents.document_file",
    "operators.roster.roster_export",
    "operators.roster.domicilio_export",
    "operators.reports.payments_csv",
    "operators.money.invoice_xml",
    "operators.money.invoices_zip",
    "operators.money.paid_orders_csv",
    # The previews of an upload: see upload_previews().
    "operators.roster.roster_preview",
    "operators.statements.statement",
    # Steps of the sign-in, reached only between the password and the code: the
    # browser test walks them.
    "operators.access.second_factor",
    "operators.access.enrol",
    "operators.login",
}


STATEMENT = (
    b"Data contabile;Importo;Causale\n"
    b"10/03/2026;4,88;Bonifico rinnovo PEC ordine B6KRJV3H\n"
    b"10/03/2026;9,00;Bonifico senza numero\n"
)


def upload_previews(operator) -> list[str]:
    """Upload a roster and a bank statement; the URLs of their previews."""
    import io

    urls = []
    for url, field, data, name in (
        ("/operators/roster", "roster", ROSTER, "iscritti.csv"),
        ("/operators/statements", "statement", STATEMENT, "estratto.csv"),
    ):
        response = operator.post(
            url, {field: (io.BytesIO(data), name)}, content_type="multipart/form-data"
        )
        assert response.status_code == 303, (url, response.status_code)
        urls.append(response.location)
    return urls


def page_urls(app, ids: dict) -> list[str]:
    """The URL of every GET page of the operators' area."""
    urls = []
    with app.test_request_context():
        from flask import url_for

        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if not rule.endpoint.startswith("operators.") or "GET" not in rule.methods:
                continue
            if rule.endpoint in NOT_PAGES:
                continue
            values = {arg: ids[arg] for arg in rule.arguments}
            urls.append(url_for(rule.endpoint, **values))
    return urls


class VisibleText(HTMLParser):
    """What a person can read on a page: text outside scripts and styles, and the
    attributes that are read out or shown (labels, titles, visible values)."""

    SHOWN_ATTRIBUTES = ("title", "aria-label", "alt", "placeholder", "data-label")

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        self.parts += [attrs[a] for a in self.SHOWN_ATTRIBUTES if attrs.get(a)]
        if tag == "input" and attrs.get("type") not in ("hidden",) and "hidden" not in attrs:
            self.parts.append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


DEVELOPER_SPEAK = ("operator:", '{"', "member:account", "member:mailbox", "system:")


def developer_speak(text: str) -> list[str]:
    return [marker for marker in DEVELOPER_SPEAK if marker in text]
