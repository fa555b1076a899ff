"""The PEC renewal portal: application factory (wiring only)."""

import os

from flask import Flask

from pec import config, db, extensions


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)

    # Through the module: `pec.mail` (a submodule) would shadow a bare `mail` here.
    db.init_app(app)
    extensions.csrf.init_app(app)
    extensions.mail.init_app(app)
    extensions.htmx.init_app(app)
    extensions.limiter.init_app(app)
    extensions.compress.init_app(app)
    extensions.babel.init_app(app, locale_selector=extensions.select_locale)

    from pec import web

    web.init_app(app)

    from pec.auth.views import bp as auth_bp
    from pec.mailboxes.views import bp as mailboxes_bp
    from pec.operators.views import bp as operators_bp
    from pec.payments.views import bp as payments_bp
    from pec.renewal.views import bp as renewal_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(mailboxes_bp)
    app.register_blueprint(renewal_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(operators_bp)

    from pec import cli, scheduler

    cli.init_app(app)
    scheduler.init_app(app)  # SPEC §4: in one process only, see pec/scheduler.py
    return app
