"""Who may see an order: an account its orders; a PEC-address login the orders whose
every line is its own mailbox."""

from playhouse.test_utils import count_queries

from pec.domain import access
from pec.domain.accounts import Principal
from pec.models import Account
from tests.factories import make_account, make_convention, make_mailbox, make_order


def test_an_account_sees_its_orders_and_no_one_elses(app):
    account = make_account()
    one, two = make_mailbox(account), make_mailbox(account)
    single, both = make_order([one]), make_order([one, two], status="paid")
    strangers = make_order([make_mailbox()])
    login = Principal("account", account.id)
    assert access.may_see(login, single) and access.may_see(login, both)
    assert not access.may_see(login, strangers)
    assert not access.may_see(Principal("account", strangers.account_id), single)


def test_a_pec_address_login_sees_only_orders_of_its_mailbox_alone(app):
    account = make_account()
    own, sibling = make_mailbox(account), make_mailbox(account)
    own_order = make_order([own])
    shared = make_order([own, sibling], status="paid")
    siblings = make_order([sibling])
    login = Principal("mailbox", own.id)
    assert access.may_see(login, own_order)
    assert not access.may_see(login, shared)  # the account holder's business
    assert not access.may_see(login, siblings)
    assert access.may_see(Principal("mailbox", sibling.id), siblings)


def test_an_unknown_or_hidden_order_is_none(app):
    box = make_mailbox()
    order = make_order([box])
    assert access.visible_order(Principal("mailbox", box.id), order.id).id == order.id
    assert access.visible_order(Principal("mailbox", box.id), 999_999) is None
    assert access.visible_order(Principal("account", make_account().id), order.id) is None


def test_an_order_comes_with_its_own_holder_and_convention_in_one_query(app):
    """The signed-in login's account and convention are used again for its order; an
    order placed under another convention (the account moved since) keeps its own."""
    account = make_account()
    box = make_mailbox(account)
    order = make_order([box])
    login = Principal("account", account.id).loaded()
    with count_queries() as counter:
        found = access.visible_order(login, order.id)
    assert counter.count == 1
    assert found.account is login.account() and found.convention is login.account().convention
    earlier = found.convention
    moved_to = make_convention(name="Ordine degli Ingegneri")
    Account.update(convention=moved_to).where(Account.id == account.id).execute()
    login = Principal("account", account.id).loaded()
    found = access.visible_order(login, order.id)
    assert found.convention.id == earlier.id and found.convention.name == earlier.name
    assert found.account.convention_id == moved_to.id
    boxed = access.visible_order(Principal("mailbox", box.id).loaded(), order.id)
    assert boxed.convention.id == earlier.id


def test_many_orders_are_decided_in_one_query(app):
    account = make_account()
    own = make_mailbox(account)
    orders = [make_order([own], status="paid") for _ in range(5)]
    orders.append(make_order([own, make_mailbox(account)]))
    login = Principal("mailbox", own.id)
    with count_queries() as counter:
        visible = access.visible_order_ids(login, orders)
    assert visible == {o.id for o in orders[:5]}
    assert counter.count == 1
    with count_queries() as counter:
        assert access.visible_order_ids(Principal("account", account.id), orders) == {
            o.id for o in orders
        }
    assert counter.count == 0
