"""pec.template_env: each template's globals are a plain dict of the environment's, taken
when the template is loaded, with the template's own over them."""

from pec.models import Mailbox
from pec.template_env import TemplateEnvironment


def test_a_templates_globals_are_the_environments_and_its_own_over_them(app):
    env = app.jinja_env
    assert isinstance(env, TemplateEnvironment)
    base = env.get_template("base.html")
    assert type(base.globals) is dict and base.globals == env.globals
    own = env.from_string("{{ url_for }} {{ shown }}", globals={"url_for": "mine", "shown": 1})
    assert own.render() == "mine 1"
    assert "shown" not in env.globals and env.globals["url_for"] != "mine"


def test_no_global_is_added_after_a_page_loaded_its_templates(app, demo, member, wizard):
    """Every global is set in create_app: a template loaded by a page has them all (one
    set later would be missing from the templates loaded before it)."""
    member.login()
    for url in ("/mailboxes/", "/orders/", "/privacy"):
        assert member.client.get(url).status_code == 200
    order_id = wizard.start(Mailbox.get(Mailbox.address == "mario.rossi@pec.demo.it"))
    wizard.up_to_confirm(order_id)  # every step's page, then the htmx fragments
    for step in ("service", "contracts", "billing", "payment", "confirm"):
        page = member.client.get(
            f"/renewals/{order_id}/{step}", headers={"HX-Request": "true", "HX-Target": "panel"}
        )
        assert page.status_code == 200
    loaded = [template for template in app.jinja_env.cache.values() if template.name]
    assert {"renewal/_parts.html", "renewal/confirm.html", "mailboxes/index.html"} <= {
        template.name for template in loaded
    }
    for template in loaded:
        assert set(app.jinja_env.globals) <= set(template.globals), template.name
