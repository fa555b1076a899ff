"""E-mail rendering shared by every sender."""

import pytest

from pec.links import external_url
from pec.member_mail import member_links, render_email
from tests.factories import make_mailbox, make_order


@pytest.mark.parametrize(
    "method,expected",
    [
        ("bank_transfer", "IBAN: IT60 X054 2811 1010 0000 0123 456"),
        ("blank_slip", "conto corrente n. 1234567"),
        ("prefilled_slip", "/payments/"),
        ("card", "/checkout"),
    ],
)
def test_payment_instructions_fit_the_method(ctx, method, expected):
    order = make_order([make_mailbox()], method=method)
    from flask import render_template

    with ctx.test_request_context():
        text = render_template(
            "emails/_payment_instructions.txt",
            order=order,
            convention=order.convention,
            **member_links(order=order),
        )
    assert expected in text
    assert "4,88" in text
    if method in ("bank_transfer", "blank_slip"):
        assert f"Causale: Rinnovo PEC ordine {order.number}\n" in text


def test_external_urls_use_the_configured_base_url(ctx):
    assert external_url("auth.login") == "https://portal.example.org/login"


def test_emails_render_in_the_members_language(ctx):
    email = render_email(
        "password_reset",
        to="a@example.org",
        language="en",
        subject="S",
        name="Anna",
        login="anna",
        reset_url="https://x/reset/t",
        hours=1,
    )
    assert "Dear Anna," in email.body_text and 'lang="en"' in email.body_html


def test_a_production_base_url_with_a_localhost_sender_is_warned_about_at_start(tmp_path, caplog):
    import logging

    from tests.conftest import make_app

    with caplog.at_level(logging.WARNING, logger="pec.delivery"):
        make_app(tmp_path / "a", PEC_BASE_URL="https://pec.example.org",
                 MAIL_DEFAULT_SENDER="noreply@localhost")  # fmt: skip
    warned = [r.getMessage() for r in caplog.records if r.name == "pec.delivery"]
    assert len(warned) == 1 and "MAIL_DEFAULT_SENDER" in warned[0]
    assert "https://pec.example.org" in warned[0]

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="pec.delivery"):
        make_app(tmp_path / "b", PEC_BASE_URL="http://127.0.0.1:5000",
                 MAIL_DEFAULT_SENDER="noreply@localhost")  # fmt: skip
        make_app(tmp_path / "c", PEC_BASE_URL="https://pec.example.org",
                 MAIL_DEFAULT_SENDER="PEC Ordine <noreply@ordine.example.org>")  # fmt: skip
    assert not [r for r in caplog.records if r.name == "pec.delivery"]
