"""Where a member may be sent back to after login: only a path of this site.

Werkzeug cleans a redirect's Location after our checks (a tab is dropped, so
"/\\t/evil.example/" would become "//evil.example/", another host): the value is judged
after the same cleaning, and once more after percent-decoding, with urllib.parse.
"""

import re
from urllib.parse import unquote, urlsplit, urlunsplit

from flask import request, url_for

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _is_local(value: str) -> bool:
    parts = urlsplit(value)
    return (
        value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and not parts.scheme
        and not parts.netloc
    )


def local_path(target: str | None) -> str | None:
    """`target` as a path of this site (with its query), or None when it is anything
    else: another host in any disguise, a scheme, backslashes, control characters."""
    cleaned = _CONTROL.sub("", target or "")
    if not cleaned or len(cleaned) > 2000:
        return None
    decoded = _CONTROL.sub("", unquote(cleaned))
    if not (_is_local(cleaned) and _is_local(decoded)):
        return None
    parts = urlsplit(cleaned)
    return urlunsplit(("", "", parts.path, parts.query, ""))


def safe_next(default_endpoint: str = "mailboxes.index") -> str:
    """The `next` of this request if it is a local path, else the default page."""
    return local_path(request.values.get("next")) or url_for(default_endpoint)
