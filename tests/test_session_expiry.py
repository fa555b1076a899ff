"""No dead ends (docs/rules.md, member journeys): an expired session or an expired form
says so, and after logging in again the member is back on the step with what they typed,
with and without JavaScript; htmx requests that need a login get HX-Redirect."""

import time

import pytest

from pec.models import Mailbox, Order
from pec.rendering import render_page
from tests.conftest import HTMX_PANEL, OperatorActions

EXPIRED = "La sessione è scaduta"
KEPT = "Quanto avevi scritto è stato conservato"
RESTORED = "Bentornato: abbiamo ripreso quanto avevi scritto"


def expire(client, key="member_seen"):
    with client.session_transaction() as session:
        session[key] = int(time.time()) - 31 * 60


@pytest.fixture
def order_id(member, demo, wizard):
    member.login()
    order_id = wizard.start(Mailbox.get(Mailbox.address == "mario.rossi@pec.demo.it"))
    wizard.accept_contracts(order_id)
    return order_id


def relogin(member, order_id):
    response = member.post(
        "/login",
        {
            "identifier": "mario.rossi@example.org",
            "password": "demo-password",
            "next": f"/renewals/{order_id}/billing",
        },
    )
    assert response.status_code == 303
    assert response.location == f"/renewals/{order_id}/billing"
    return member.client.get(response.location).get_data(as_text=True)


@pytest.mark.parametrize("headers", [None, HTMX_PANEL], ids=["plain", "htmx"])
def test_a_step_sent_after_the_session_expired_comes_back_filled_after_login(
    member, wizard, order_id, headers
):
    expire(member.client)
    response = wizard.submit_billing(order_id, headers=headers, city="Torino", postal_code="10121")
    login = f"/login?next=/renewals/{order_id}/billing"
    if headers:
        assert response.status_code == 200 and response.headers["HX-Redirect"] == login
    else:
        assert response.status_code == 303 and response.location == login
    assert Order.get_by_id(order_id).billing is None  # nothing was saved
    page = member.client.get(login).get_data(as_text=True)
    assert EXPIRED in page and KEPT in page
    assert f'name="next" value="/renewals/{order_id}/billing"' in page
    step = relogin(member, order_id)
    assert RESTORED in step
    assert 'name="city" type="text" value="Torino"' in step
    assert 'name="postal_code" type="text" value="10121"' in step
    # Once: coming back later shows the holder's data again.
    again = member.client.get(f"/renewals/{order_id}/billing").get_data(as_text=True)
    assert 'value="Torino"' not in again and RESTORED not in again


def test_the_kept_form_is_only_for_its_own_step(member, wizard, order_id):
    expire(member.client)
    wizard.submit_billing(order_id, city="Torino")
    member.login()  # lands on Gestione PEC
    contracts = member.client.get(f"/renewals/{order_id}/contracts").get_data(as_text=True)
    assert RESTORED not in contracts
    assert 'value="Torino"' in member.client.get(f"/renewals/{order_id}/billing").get_data(
        as_text=True
    )


def test_a_page_asked_for_after_expiry_says_so_and_a_first_visit_does_not(member, order_id):
    expire(member.client)
    response = member.client.get(f"/renewals/{order_id}/billing")
    assert response.status_code == 303
    assert EXPIRED in member.client.get(response.location).get_data(as_text=True)
    fresh = member.client.application.test_client()
    first = fresh.get("/mailboxes/")
    assert EXPIRED not in fresh.get(first.location).get_data(as_text=True)


def test_a_form_sent_to_an_address_that_is_no_page_comes_back_to_the_page_it_came_from(
    member, demo
):
    member.login()
    expire(member.client)
    box = Mailbox.get(Mailbox.address == "mario.rossi@pec.demo.it")
    response = member.post(
        "/renewals/start",
        {"only": str(box.id)},
        headers={"Referer": "http://localhost/mailboxes/"},
    )
    assert response.status_code == 303 and response.location == "/login?next=/mailboxes/"


def test_a_link_session_that_expired_resumes_from_the_link_with_the_typed_values(app, client, demo):
    from tests.conftest import MemberActions
    from tests.factories import VALID_BILLING
    from tests.test_access_links import link_for

    member = MemberActions(client)
    link = link_for(app)
    service = client.get(link).location
    order_id = int(service.split("/")[2])
    from tests.conftest import WizardActions

    WizardActions(member).accept_contracts(order_id)
    expire(client)
    member.post(f"/renewals/{order_id}/billing", dict(VALID_BILLING, city="Torino"))
    # No password: the member opens the link from the e-mail again.
    again = client.get(link)
    assert again.location == f"/renewals/{order_id}/"
    step = client.get(client.get(again.location).location).get_data(as_text=True)
    assert 'name="city" type="text" value="Torino"' in step


# --- An expired form (CSRF) ------------------------------------------------------------------


def test_an_expired_form_without_javascript_offers_to_go_back_with_what_was_typed(
    member, wizard, order_id
):
    from tests.factories import VALID_BILLING

    url = f"/renewals/{order_id}/billing"
    refused = member.client.post(
        url,
        data=dict(VALID_BILLING, city="Torino", csrf_token="stale"),
        headers={"Origin": "http://localhost"},
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "La pagina è scaduta" in page
    assert f'href="{url}"' in page and "Torna al modulo" in page
    step = member.client.get(url).get_data(as_text=True)
    assert 'name="city" type="text" value="Torino"' in step and RESTORED in step


def test_another_site_cannot_plant_values_through_an_expired_form(member, wizard, order_id):
    from tests.factories import VALID_BILLING

    url = f"/renewals/{order_id}/billing"
    refused = member.client.post(
        url,
        data=dict(VALID_BILLING, city="Evilville", csrf_token="stale"),
        headers={"Origin": "https://evil.example"},
    )
    assert refused.status_code == 400 and "Torna al modulo" not in refused.get_data(as_text=True)
    assert 'value="Evilville"' not in member.client.get(url).get_data(as_text=True)


def test_an_expired_form_sent_by_htmx_carries_a_fresh_token_for_the_retry(member, wizard, order_id):
    from tests.conftest import CSRF_RE
    from tests.factories import VALID_BILLING

    url = f"/renewals/{order_id}/billing"
    refused = member.client.post(
        url,
        data=dict(VALID_BILLING, csrf_token="stale"),
        headers={**HTMX_PANEL, "Origin": "http://localhost"},
    )
    assert refused.status_code == 400
    token = CSRF_RE.search(refused.get_data(as_text=True)).group(1)
    retried = member.client.post(
        url, data=dict(VALID_BILLING, csrf_token=token), headers=HTMX_PANEL
    )
    assert retried.status_code == 200 and retried.headers["HX-Push-Url"].endswith("/payment")


# --- htmx at the edges ----------------------------------------------------------------------


def test_render_page_never_fails_on_a_template_without_the_block(app, demo):
    with app.test_request_context("/login", headers=HTMX_PANEL):
        from pec.auth.forms import LoginForm

        response = render_page("auth/login.html", block="panel", form=LoginForm(), next="")
        assert response.status_code == 200
        assert response.get_data(as_text=True).startswith("<!doctype html>")


def test_an_operators_htmx_request_after_the_session_ended_loads_the_login_whole(app, client, demo):
    from tests.conftest import make_operator

    make_operator()
    operator = OperatorActions(client)
    operator.login()
    expire(client, "operator_seen")
    response = client.get(
        "/operators/mailboxes?q=rossi", headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert response.status_code == 200 and response.get_data() == b""
    assert response.headers["HX-Redirect"].startswith("/operators/login?next=/operators/mailboxes")


def test_every_page_loads_the_script_that_explains_failed_requests(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<script src="/static/app.js?v=' in page and "defer" in page
    assert 'id="request-errors"' in page and 'data-offline="Connessione assente' in page
    script = client.get("/static/app.js")
    assert script.status_code == 200
    assert b"htmx:responseError" in script.data and b"htmx:sendError" in script.data
    script.close()
