"""The same schema and rules on a real PostgreSQL server (PEC_DATABASE_URL=postgresql://…)."""

import os
import uuid

import pytest
from peewee import IntegrityError
from playhouse.schema_diff import diff_models

from pec.database import db
from pec.models import (
    ALL_MODELS,
    Order,
    OrderLine,
)
from tests.conftest import MemberActions, make_app, skip_or_fail
from tests.factories import make_mailbox

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url():
    """A fresh database on the server named by PEC_TEST_POSTGRES_URL, dropped afterwards."""
    admin_url = os.environ.get("PEC_TEST_POSTGRES_URL")
    if not admin_url:
        skip_or_fail("PEC_TEST_POSTGRES_URL is not set")
    import psycopg2

    name = f"pec_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    if not db.is_closed():
        db.close()
    admin.cursor().execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def pg_app(tmp_path, pg_url):
    return make_app(tmp_path, PEC_DATABASE_URL=pg_url)


def test_migrations_build_the_models_schema_on_postgres(pg_app):
    with db.connection_context():
        diff = diff_models(db.obj, ALL_MODELS)
        assert not (diff.create_tables or diff.add_columns or diff.add_indexes or diff.drop_columns)


def test_one_open_order_per_mailbox_holds_on_postgres(pg_app):
    with db.connection_context():
        mailbox = make_mailbox()

        def line():
            order = Order.create(
                account=mailbox.account,
                convention=mailbox.account.convention,
                duration_years=3,
                unit_price_cents=400,
                vat_rate_bp=2200,
            )
            OrderLine.create(
                order=order,
                mailbox=mailbox,
                open_mailbox=mailbox,
                old_expires_on=mailbox.expires_on,
                new_expires_on=mailbox.expires_on,
                unit_price_cents=400,
            )

        line()
        with pytest.raises(IntegrityError), db.atomic():
            line()


def test_demo_and_both_logins_work_on_postgres(pg_app, today):
    from pec.demo import load_demo

    with db.connection_context():
        load_demo(today)
    member = MemberActions(pg_app.test_client())
    assert member.login().status_code == 303
    page = member.client.get("/mailboxes/").get_data(as_text=True)
    assert page.count('class="address"') == 3
    member.logout()
    assert member.login("anna.bianchi@pec.demo.it", "demo-password").status_code == 303
    assert member.client.get("/mailboxes/").get_data(as_text=True).count('class="address"') == 1
