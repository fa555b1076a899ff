"""The htmx contract of the wizard: the panel boosts plain links and forms, a history
restore gets a full page, responses vary on the htmx headers, invalid forms swap as 422
without a new history entry, CSRF holds, and a lost session leaves the panel."""

import re

import pytest

from pec.domain import renewal
from pec.models import Mailbox, Order
from tests.conftest import CSRF_RE, HTMX_PANEL
from tests.factories import VALID_BILLING


@pytest.fixture
def order_id(member, demo, wizard):
    member.login()
    order_id = wizard.start(Mailbox.get(Mailbox.address == "mario.rossi@pec.demo.it"))
    wizard.accept_contracts(order_id)
    return order_id


def test_a_history_restore_gets_the_full_page_not_the_fragment(member, order_id):
    headers = {**HTMX_PANEL, "HX-History-Restore-Request": "true"}
    response = member.client.get(f"/renewals/{order_id}/billing", headers=headers)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.startswith("<!doctype html>") and '<div id="panel"' in page


def test_an_htmx_request_for_another_target_gets_the_full_page(member, order_id):
    headers = {"HX-Request": "true", "HX-Target": "main"}
    page = member.client.get(f"/renewals/{order_id}/billing", headers=headers).get_data(
        as_text=True
    )
    assert page.startswith("<!doctype html>")


def test_a_page_without_a_fragment_is_whole_for_any_htmx_target(member, order_id):
    response = member.client.get("/mailboxes/", headers=HTMX_PANEL)
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("<!doctype html>")


@pytest.mark.parametrize("headers", [{}, HTMX_PANEL], ids=["plain", "htmx"])
def test_step_responses_vary_on_the_htmx_headers(member, order_id, headers):
    response = member.client.get(f"/renewals/{order_id}/billing", headers=headers)
    assert {"HX-Request", "HX-Target"} <= set(response.vary)
    assert response.headers["Cache-Control"] == "private, no-store"


def test_an_invalid_form_is_swapped_as_a_422_fragment_without_moving_the_url(
    member, order_id, wizard
):
    response = wizard.submit_billing(order_id, headers=HTMX_PANEL, postal_code="123")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    # A boosted form would otherwise push its own URL again: a second history entry.
    assert response.headers["HX-Push-Url"] == "false"
    assert "<html" not in page and 'id="postal_code-error"' in page
    assert 'name="postal_code" type="text" value="123"' in page


def test_htmx_is_configured_to_swap_422_and_to_restore_history_with_a_full_page(member, demo):
    page = member.client.get("/login").get_data(as_text=True)
    config = re.search(r'name="htmx-config" content=\'([^\']+)\'', page).group(1)
    assert '"historyRestoreAsHxRequest":false' in config
    assert '{"code":"422","swap":true}' in config


def test_an_htmx_post_without_a_csrf_token_gets_the_friendly_page(member, order_id):
    data = dict(VALID_BILLING)
    response = member.client.post(f"/renewals/{order_id}/billing", data=data, headers=HTMX_PANEL)
    assert response.status_code == 400
    assert "La pagina è scaduta" in response.get_data(as_text=True)
    assert Order.get_by_id(order_id).billing is None


def test_an_htmx_post_with_the_token_in_the_header_is_accepted(member, order_id):
    token = CSRF_RE.search(member.client.get("/login").get_data(as_text=True)).group(1)
    headers = {**HTMX_PANEL, "X-CSRFToken": token}
    response = member.client.post(
        f"/renewals/{order_id}/billing", data=dict(VALID_BILLING), headers=headers
    )
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == f"/renewals/{order_id}/payment"


def panel_of(page: str) -> str:
    return page[page.index('<div id="panel"') :]


@pytest.mark.parametrize("step", ["service", "contracts", "billing"])
def test_the_panel_boosts_plain_links_and_forms_into_itself(member, order_id, step):
    page = member.client.get(f"/renewals/{order_id}/{step}").get_data(as_text=True)
    # One place says what htmx does with the wizard: boost, into the panel.
    assert '<div id="panel" class="card wizard" hx-boost="true" hx-target="this">' in page
    assert page.count('hx-boost="true"') == 1 and page.count("hx-target=") == 1
    assert not re.search(r"hx-(get|post|push-url)=", page)
    for form in re.findall(r"<form [^>]*>", panel_of(page)):
        assert re.search(r'method="post" action="/renewals/\d+/\w+"', form), form


def test_forms_post_to_their_own_url_and_disable_their_button_while_sent(member, order_id):
    page = member.client.get(f"/renewals/{order_id}/billing").get_data(as_text=True)
    url = f"/renewals/{order_id}/billing"
    assert f'<form method="post" action="{url}" hx-disabled-elt="find button"' in page
    assert 'name="csrf_token"' in page


def test_what_leaves_the_wizard_is_not_boosted_into_the_panel(member, order_id, wizard):
    service = panel_of(member.client.get(f"/renewals/{order_id}/service").get_data(as_text=True))
    assert re.search(r'<a href="/mailboxes/" hx-boost="false">', service)
    contracts = member.client.get(f"/renewals/{order_id}/contracts").get_data(as_text=True)
    downloads = re.findall(r"<a [^>]*download[^>]*>", contracts)
    assert len(downloads) == 3 and all('hx-boost="false"' in a for a in downloads)
    assert wizard.submit_billing(order_id).status_code == 303
    assert wizard.choose_method(order_id).status_code == 303
    assert wizard.confirm(order_id).status_code == 303
    done = panel_of(member.client.get(f"/renewals/{order_id}/done").get_data(as_text=True))
    # Paying, the receipt, switching the method and cancelling are whole pages.
    assert '<div hx-history="false" hx-boost="false">' in done
    assert done.index('hx-boost="false"') < done.index("<form")


def test_a_swapped_step_focuses_its_heading_and_a_page_does_not(member, order_id):
    url = f"/renewals/{order_id}/billing"
    swapped = member.client.get(url, headers=HTMX_PANEL).get_data(as_text=True)
    assert '<h1 id="step-title" tabindex="-1" autofocus>' in swapped
    page = member.client.get(url).get_data(as_text=True)
    assert '<h1 id="step-title" tabindex="-1">' in page and "autofocus" not in page


def test_a_message_flashed_for_a_swapped_step_is_shown_in_the_panel(
    member, order_id, wizard, monkeypatch
):
    def confirmed_meanwhile(*args, **kwargs):
        raise renewal.RenewalError("not_draft")

    monkeypatch.setattr(renewal, "save_billing", confirmed_meanwhile)
    response = wizard.submit_billing(order_id, headers=HTMX_PANEL)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in page
    assert "Questo ordine è già stato confermato" in page
    # Shown once: the next full page does not repeat it.
    assert "Questo ordine è già stato confermato" not in member.client.get(
        f"/renewals/{order_id}/billing"
    ).get_data(as_text=True)


def test_an_htmx_request_after_the_session_ended_loads_the_login_page_whole(member, order_id):
    member.logout()
    response = member.client.get(f"/renewals/{order_id}/billing", headers=HTMX_PANEL)
    assert response.status_code == 200 and response.get_data() == b""
    assert response.headers["HX-Redirect"] == f"/login?next=/renewals/{order_id}/billing"
    plain = member.client.get(f"/renewals/{order_id}/billing")
    assert plain.status_code == 303 and plain.location.startswith("/login?next=")


def test_steps_with_personal_or_payment_data_stay_out_of_the_history_cache(member, order_id):
    for step, cached in [("service", True), ("contracts", True), ("billing", False)]:
        page = member.client.get(f"/renewals/{order_id}/{step}").get_data(as_text=True)
        assert ('hx-history="false"' not in page) == cached, step
