"""The PEC renewal portal.

Importing `pec` (or `pec.domain`, `pec.models`) loads no Flask: the web application is
built by `create_app`, which imports the web layer only when called.
"""


def create_app(test_config: dict | None = None):
    """The Flask application (see pec/factory.py)."""
    from pec.factory import create_app as build

    return build(test_config)
