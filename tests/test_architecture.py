"""The domain's boundary: the rules and the models load without Flask, and every write
opens its transaction the one way."""

import re
import subprocess
import sys
from pathlib import Path

import pec

PROBE = """
import importlib, pkgutil, sys
import pec.domain, pec.models, pec.database, pec.vocabulary
for module in pkgutil.iter_modules(pec.domain.__path__):
    importlib.import_module("pec.domain." + module.name)
web = ("flask", "werkzeug", "jinja2", "wtforms", "itsdangerous")
print(sorted({name.split(".")[0] for name in sys.modules if name.startswith(web)}))
"""


def test_importing_the_domain_and_the_models_loads_no_flask():
    # A fresh interpreter: this test process has Flask loaded already.
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_status_rule_imports_alone_without_flask():
    probe = (
        "import pec.domain.status, sys; print([m for m in sys.modules if m.startswith('flask')])"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


def test_every_write_opens_its_transaction_through_write_transaction():
    # A plain db.atomic() starts a deferred transaction on SQLite, which fails at once
    # with "database is locked" when it reads and then writes beside another writer;
    # pec.database.write_transaction() takes the write lock at BEGIN (a savepoint when
    # nested). So .atomic( belongs to pec/database.py alone.
    package = Path(pec.__file__).parent
    offenders = [
        f"{path.relative_to(package.parent)}:{number}"
        for path in sorted(package.rglob("*.py"))
        if path != package / "database.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ".atomic(" in line
    ]
    assert offenders == []


# `x.status == "payed"` is silently false; `x.status == OrderStatus.PAYED` fails loudly.
LITERAL_COMPARISON = re.compile(
    r"(?<!request)\.(status|kind|method|payment_method)\s*(==|!=|not in|in)\s*[\(\[]?\s*['\"]"
)


def test_templates_compare_states_with_the_vocabulary_not_with_strings():
    templates = Path(pec.__file__).parent.parent / "templates"
    offenders = [
        f"{path.relative_to(templates)}:{number}"
        for path in sorted(templates.rglob("*.*"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if LITERAL_COMPARISON.search(line)
    ]
    assert offenders == []


def test_the_literal_check_catches_a_string_and_lets_the_enum_through():
    assert LITERAL_COMPARISON.search('{% if order.status == "paid" %}')
    assert LITERAL_COMPARISON.search("{% if m.status in ('failed', 'pending') %}")
    assert not LITERAL_COMPARISON.search("{% if order.status == OrderStatus.PAID %}")
    assert not LITERAL_COMPARISON.search("{{ x if request.method == 'GET' }}")
