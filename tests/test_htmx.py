"""The htmx contract of the wizard (NOTES.md "htmx", STYLE.md): history restore gets a
full page, responses vary on the htmx headers, invalid forms swap as 422, CSRF holds."""

import re

import pytest

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


@pytest.mark.parametrize("headers", [{}, HTMX_PANEL], ids=["plain", "htmx"])
def test_step_responses_vary_on_the_htmx_headers(member, order_id, headers):
    response = member.client.get(f"/renewals/{order_id}/billing", headers=headers)
    assert {"HX-Request", "HX-Target"} <= set(response.vary)
    assert response.headers["Cache-Control"] == "no-store"


def test_an_invalid_form_is_swapped_as_a_422_fragment_without_moving_the_url(
    member, order_id, wizard
):
    response = wizard.submit_billing(order_id, headers=HTMX_PANEL, postal_code="123")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "HX-Push-Url" not in response.headers
    assert "<html" not in page and 'id="postal_code-error"' in page
    assert 'name="postal_code" type="text" value="123"' in page


def test_htmx_is_configured_to_swap_422_and_to_restore_history_with_a_full_page(member, demo):
    page = member.client.get("/login").get_data(as_text=True)
    config = re.search(r'name="htmx-config" content=\'([^\']+)\'', page).group(1)
    assert '"historyRestoreAsHxRequest":false' in config
    assert '{"code":"422","swap":true}' in config


def test_an_htmx_post_without_a_csrf_token_is_refused(member, order_id):
    data = dict(VALID_BILLING)
    response = member.client.post(f"/renewals/{order_id}/billing", data=data, headers=HTMX_PANEL)
    assert response.status_code == 400
    assert Order.get_by_id(order_id).billing is None


def test_an_htmx_post_with_the_token_in_the_header_is_accepted(member, order_id):
    token = CSRF_RE.search(member.client.get("/login").get_data(as_text=True)).group(1)
    headers = {**HTMX_PANEL, "X-CSRFToken": token}
    response = member.client.post(
        f"/renewals/{order_id}/billing", data=dict(VALID_BILLING), headers=headers
    )
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == f"/renewals/{order_id}/payment"


def test_forms_post_to_their_own_url_with_htmx_as_an_addition(member, order_id):
    page = member.client.get(f"/renewals/{order_id}/billing").get_data(as_text=True)
    url = f"/renewals/{order_id}/billing"
    assert f'method="post" action="{url}" hx-post="{url}" hx-target="#panel"' in page
    assert 'hx-disabled-elt="find button"' in page and 'name="csrf_token"' in page


def test_steps_with_personal_or_payment_data_stay_out_of_the_history_cache(member, order_id):
    for step, cached in [("service", True), ("contracts", True), ("billing", False)]:
        page = member.client.get(f"/renewals/{order_id}/{step}").get_data(as_text=True)
        assert ('hx-history="false"' not in page) == cached, step
