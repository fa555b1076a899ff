"""The application factory: configuration, extensions, blueprints and commands, wired
explicitly in that order and nothing else."""

import os

from flask import Flask

from pec import config, database, delivery, extensions, input_limits, signing, template_urls, web
from pec.auth.views import bp as auth_bp
from pec.domain import passwords
from pec.mailboxes.views import bp as mailboxes_bp
from pec.operators.views import bp as operators_bp
from pec.orders.views import bp as orders_bp
from pec.pages.views import bp as pages_bp
from pec.payments import gateways
from pec.payments.views import bp as payments_bp
from pec.payments.webhooks import bp as gateways_bp
from pec.renewal.views import bp as renewal_bp
from pec.template_env import TemplateEnvironment

BLUEPRINTS = (
    auth_bp,
    mailboxes_bp,
    renewal_bp,
    payments_bp,
    gateways_bp,
    orders_bp,
    operators_bp,
    pages_bp,
)


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        "pec",
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    # Before anything asks for `app.jinja_env`, which is built from it (pec.template_env).
    app.jinja_environment = TemplateEnvironment
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    gateways.check_config(app.config)  # refuse to start with a half-configured gateway
    passwords.configure(cheap=bool(app.config["TESTING"]))  # cheap hashes for tests only
    delivery.check_config(app.config)  # warn about a localhost sender in production

    # First: its guard runs before every other hook (CSRFProtect's error page keeps the
    # typed form), and the blueprints' rules take its `int` converter.
    input_limits.init_app(app)
    database.init_app(app)
    extensions.csrf.init_app(app)
    signing.init_app(app)
    extensions.mail.init_app(app)
    extensions.htmx.init_app(app)
    extensions.init_limiter(app)
    extensions.babel.init_app(app, locale_selector=extensions.select_locale)
    web.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    template_urls.install(app)  # once every blueprint's URL rules are in

    from pec import cli, scheduler  # commands and jobs need the app's blueprints built

    cli.init_app(app)
    scheduler.init_app(app)  # in one process only, see pec/scheduler.py
    return app
