"""Personal links (R11): every e-mail about a mailbox carries one; it opens that
mailbox's renewal without a password, scoped like a PEC-address login, and dies when a
password is set or an operator revokes the links."""

import datetime as dt
import re

import pytest

from pec.domain import access_links, clock
from pec.links import read_renewal_link, renewal_link
from pec.member_mail import MemberMail
from pec.models import Account, Mailbox, Order, OutboxMessage
from tests.conftest import page_without_typed_values
from tests.factories import make_identity_document, make_order

LINK_RE = re.compile(r"https://portal\.example\.org(/links/[^\s\"<]+)")
MARIO = "mario.rossi@pec.demo.it"
STUDIO = "studio.rossi@pec.demo.it"


def box(address=MARIO) -> Mailbox:
    return Mailbox.get(Mailbox.address == address)


def path_of(url: str) -> str:
    return LINK_RE.search(url).group(1).replace("&amp;", "&")


def link_for(app, address=MARIO, **kwargs) -> str:
    with app.app_context():  # not held open: each request gets its own context
        return path_of(renewal_link(box(address), **kwargs))


@pytest.fixture
def reminder_link(app, runner, demo):
    """The link of the reminder the daily job sends for Mario's mailbox (20 days left)."""
    result = runner.invoke(args=["pec", "jobs", "run", "--today", demo.isoformat()])
    assert result.exit_code == 0, result.output
    message = OutboxMessage.get(
        (OutboxMessage.kind == "reminder") & (OutboxMessage.mailbox == box().id)
    )
    assert "Rinnova ora" in message.body_text and "Rinnova ora" in message.body_html
    assert "login=" not in message.body_text  # no login the member may not have
    assert "Primo accesso" in message.body_text  # the other way in
    return path_of(message.body_text)


def test_the_reminder_link_opens_the_mailboxs_riepilogo_without_a_password(
    app, client, reminder_link
):
    response = client.get(reminder_link)
    assert response.status_code == 303
    assert re.fullmatch(r"/renewals/\d+/service", response.location)
    # The token goes no further: neither in the next address nor in a Referer.
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "/links/" not in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "Riepilogo servizio" in page and "mario.rossi@<wbr>pec.demo.it" in page
    order = Order.get_by_id(int(response.location.split("/")[2]))
    assert order.started_by_mailbox_id == box().id  # a PEC-address scope (R4)


def test_a_link_session_sees_that_mailbox_only(app, client, reminder_link):
    client.get(reminder_link)
    listing = client.get("/mailboxes/").get_data(as_text=True)
    assert MARIO in listing and STUDIO not in listing and "m.rossi@pec.demo.it" not in listing
    # Another mailbox of the same account: its orders, its renewal and the account's
    # identity document are 404.
    other_order = make_order([box(STUDIO)])
    assert client.get(f"/renewals/{other_order.id}/done").status_code == 404
    assert client.get(f"/payments/{other_order.id}/report").status_code == 404
    document = make_identity_document(box().account_id, original_name="id.pdf")
    assert client.get(f"/mailboxes/document/{document.id}").status_code == 404
    from tests.conftest import MemberActions

    start = MemberActions(client).post("/renewals/start", {"only": str(box(STUDIO).id)})
    assert start.status_code == 404


def test_a_link_to_a_mailbox_with_an_order_awaiting_payment_opens_that_order(app, client, demo):
    order = make_order([box()])
    response = client.get(
        link_for(
            app,
        )
    )
    assert response.location == f"/renewals/{order.id}/done"


def test_a_link_with_a_page_of_that_mailbox_lands_there(app, client, demo):
    order = make_order([box()])
    response = client.get(link_for(app, next_path=f"/payments/{order.id}/report"))
    assert response.status_code == 303 and response.location == f"/payments/{order.id}/report"
    assert client.get(response.location).status_code == 200
    evil = client.get(link_for(app, next_path="/%09/evil.example/"))
    assert evil.location == f"/renewals/{order.id}/done"


def test_a_mailbox_out_of_its_renewal_season_opens_gestione_pec(app, client, demo):
    response = client.get(link_for(app, STUDIO))  # 200 days left
    assert response.location == "/mailboxes/"
    assert Order.select().count() == 0


@pytest.mark.parametrize(
    "tamper",
    [
        lambda path: path[:-3] + ("abc" if not path.endswith("abc") else "xyz"),
        lambda path: "/links/not-a-token",
        lambda path: "/links/" + "A" * 500,
    ],
    ids=["bad-signature", "garbage", "long"],
)
def test_a_tampered_link_shows_the_clear_page(app, client, demo, tamper):
    response = client.get(
        tamper(
            link_for(
                app,
            )
        )
    )
    assert response.status_code == 303 and response.location == "/links/expired"
    page = client.get("/links/expired").get_data(as_text=True)
    assert "Questo link non è più valido" in page and "Ricevi un nuovo link" in page


def test_a_link_past_its_last_day_no_longer_works(app, client, demo):
    path = link_for(app, until=demo + dt.timedelta(days=2))
    assert client.get(path).status_code == 303
    with clock.frozen(demo + dt.timedelta(days=3)):
        assert app.test_client().get(path).location == "/links/expired"


def test_revoking_the_links_ends_them_and_their_sessions(app, client, demo):
    path = link_for(
        app,
    )
    client.get(path)
    assert client.get("/mailboxes/").status_code == 200
    access_links.revoke_links(box().account, actor="operator:1")
    assert client.get("/mailboxes/").status_code == 303  # the link session ended
    assert client.get(path).location == "/links/expired"
    assert (
        app.test_client()
        .get(
            link_for(
                app,
            )
        )
        .status_code
        == 303
    )  # a new link works


def test_setting_a_password_ends_the_links(app, client, member, demo):
    path = link_for(
        app,
    )
    other = app.test_client()
    other.get(path)
    member.post("/recover", {"identifier": "mario.rossi@example.org"})
    reset = re.search(
        r"(/reset/\S+)", OutboxMessage.select().order_by(OutboxMessage.id.desc()).get().body_text
    ).group(1)
    member.post(reset, {"password": "a-brand-new-one", "confirm": "a-brand-new-one"})
    assert other.get("/mailboxes/").status_code == 303
    assert client.get(path).location == "/links/expired"


def test_a_signed_in_account_opening_its_own_link_keeps_its_wider_session(app, member, demo):
    member.login()
    member.client.get(link_for(app, STUDIO))
    listing = member.client.get("/mailboxes/").get_data(as_text=True)
    assert STUDIO in listing and MARIO in listing


def test_a_new_link_is_asked_for_with_the_same_answer_for_anyone(app, member, demo):
    real = member.post("/recover", {"identifier": MARIO}, follow_redirects=True)
    fake = member.post("/recover", {"identifier": "nobody@pec.demo.it"}, follow_redirects=True)
    assert page_without_typed_values(real) == page_without_typed_values(fake)
    message = OutboxMessage.get()
    assert message.to_address == "mario.rossi@example.org"
    links = LINK_RE.findall(message.body_text)
    assert len(links) == 3  # one per mailbox of the account (none of them ceased)
    assert member.client.application.test_client().get(links[0]).status_code == 303


def test_links_are_signed_for_this_purpose_only(ctx, demo):
    token = renewal_link(box()).rsplit("/", 1)[1]
    assert read_renewal_link(token)[:2] == (box().id, 0)
    from itsdangerous import URLSafeSerializer

    other = URLSafeSerializer(ctx.secret_key).dumps([box().id, 0, 800000])
    assert read_renewal_link(other) is None
    forged = URLSafeSerializer(ctx.secret_key, salt="pec.renewal-link").dumps(["1", 0, 1])
    assert read_renewal_link(forged) is None


# --- Every e-mail about a mailbox carries a personal link ----------------------------------


def _last(kind: str) -> OutboxMessage:
    return (
        OutboxMessage.select()
        .where(OutboxMessage.kind == kind)
        .order_by(OutboxMessage.id.desc())
        .get()
    )


def test_every_mailbox_email_carries_a_personal_link_and_no_login(ctx, demo):
    from pec.domain import lifecycle
    from pec.domain.notices import RenewedMailbox
    from pec.models import Payment

    mail = MemberMail()
    order = make_order([box()], method="bank_transfer")
    mail.order_confirmed(order)
    mail.payment_method_switched(order)
    payment = Payment.create(
        order=order,
        method="bank_transfer",
        provider="member",
        reference="CRO1",
        amount_cents=order.gross_cents,
        status="rejected",
        rejection_reason="non trovato",
        paid_on=demo,
    )
    mail.payment_rejected(payment)
    mail.renewal_applied(order, [RenewedMailbox(MARIO, demo, False)])
    mail.payment_received(order, payment)
    mail.order_cancelled(order, "doppio")
    document = make_identity_document(
        box().account_id, original_name="id.pdf", rejection_reason="sfocato"
    )
    mail.document_rejected(document)
    mail.access_link(box())
    for kind in (lifecycle.REMINDER, lifecycle.DEACTIVATION, lifecycle.CEASING):
        due = lifecycle.Due(
            kind=kind,
            mailbox=box(),
            to_address="mario.rossi@example.org",
            expires_on=box().expires_on,
            offset_days=30,
            deletion_on=demo + dt.timedelta(days=90),
            amount_cents=488,
        )
        getattr(
            mail, {"reminder": "reminder", "deactivation": "deactivated", "ceasing": "ceased"}[kind]
        )(due)
    kinds = [m.kind for m in OutboxMessage.select()]
    assert len(kinds) == 11
    for message in OutboxMessage.select():
        for body in (message.body_text, message.body_html):
            assert LINK_RE.search(body), (message.kind, body)
            assert "/login?login=" not in body, message.kind
        # Every personal link in it opens a session.
        first = path_of(message.body_text)
        assert read_renewal_link(first.split("/links/")[1].split("?")[0]) is not None


def test_payment_links_in_an_order_email_open_without_a_password(app, ctx, client, demo):
    order = make_order([box()], method="bank_transfer")
    MemberMail().order_confirmed(order)
    body = _last("order_confirmed").body_text
    report = [u for u in LINK_RE.findall(body) if "next=" in u][0]
    response = client.get(report)
    assert response.location == f"/payments/{order.id}/report"
    assert client.get(response.location).status_code == 200


def test_an_order_of_several_mailboxes_links_to_the_login(ctx, demo):
    order = make_order([box(), box(STUDIO)])
    MemberMail().order_confirmed(order)
    body = _last("order_confirmed").body_text
    assert "/links/" not in body and "/login?login=mario.rossi@example.org" in body


def test_the_reminder_link_lasts_until_the_end_of_the_restore_window(ctx, runner, demo):
    result = runner.invoke(args=["pec", "jobs", "run", "--today", demo.isoformat()])
    assert result.exit_code == 0
    body = _last("reminder").body_text
    token = path_of(body).split("/links/")[1]
    last_on = read_renewal_link(token)[2]
    assert last_on == box().expires_on + dt.timedelta(days=90)
    assert "Vale fino al " + last_on.strftime("%d/%m/%Y") in body
    assert Account.get(Account.login == "mario.rossi@example.org").access_epoch == 0


def test_a_link_never_replaces_the_account_holders_order_of_several_mailboxes(app, client, demo):
    """A reminder's link opened (or fetched by a mail scanner) while the holder builds an
    order of two mailboxes leaves that order alone."""
    from tests.conftest import MemberActions, WizardActions

    holder = MemberActions(app.test_client())
    holder.login()
    draft_id = WizardActions(holder).start(box(), box(STUDIO), only=False)
    response = client.get(link_for(app))
    assert response.location == "/mailboxes/"
    assert Order.get_by_id(draft_id).status == "draft"
