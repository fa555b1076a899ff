"""Signed-in sessions in the cookie, shared by members and operators (docs/stack-notes.md "Security").

A login starts a fresh session (the language choice survives); every request checks the
subject's `session_epoch` (bumped at logout, so every copy of the cookie stops working)
and the idle and absolute timeouts.
"""

import time

from flask import current_app, g, session

# What a new login keeps of the session before it: the language chosen, and the key of
# what the member typed when the old session had expired (so the step comes back filled).
KEPT_ACROSS_LOGIN = ("lang", "form_stash")
# The idle clock is kept to the minute: moving it signs the cookie again and sends it
# back (a Set-Cookie on every answer, and an HMAC, if it moved every second), so a
# session may end up to a minute before its idle timeout, never after.
SEEN_RESOLUTION = 60


def csrf_field(config=None) -> str:
    """Where Flask-WTF keeps the session's raw CSRF token (in the session) and the
    request's signed one (on `g`), by `config` (the current app's by default)."""
    return (config if config is not None else current_app.config).get(
        "WTF_CSRF_FIELD_NAME", "csrf_token"
    )


class SessionSlot:
    """One kind of signed-in subject, under its own keys in the cookie."""

    def __init__(self, prefix: str):
        self.keys = tuple(f"{prefix}_{name}" for name in ("id", "epoch", "started", "seen"))

    def start(self, subject_id, epoch: int, lang: str | None = None) -> None:
        """A fresh session for the subject: nothing of the previous one is kept but the
        language (`lang` when given, else the one already chosen) and the key of a form
        kept across the login (pec.auth.session)."""
        kept = {key: session[key] for key in KEPT_ACROSS_LOGIN if key in session}
        if lang:
            kept["lang"] = lang
        session.clear()
        session.update(kept)
        # The CSRF token already signed for this request (pec.signing puts one in `g`)
        # belongs to the old session's raw token, which is gone: the page signs anew.
        g.pop(csrf_field(), None)
        now = int(time.time())
        session.update(dict(zip(self.keys, (subject_id, epoch, now, now), strict=True)))
        session.permanent = False

    def subject_id(self):
        """The id stored at login (not yet checked), or None."""
        return session.get(self.keys[0])

    def is_current(self, epoch: int | None) -> bool:
        """True while the subject's epoch is unchanged and neither timeout has passed;
        refreshes the idle clock (to the minute). Otherwise the keys are dropped."""
        _, epoch_key, started_key, seen_key = self.keys
        now = int(time.time())
        idle = current_app.config["PEC_SESSION_IDLE_MINUTES"] * 60
        absolute = current_app.config["PEC_SESSION_MAX_HOURS"] * 3600
        if (
            epoch is None
            or epoch != session.get(epoch_key)
            or now - session.get(seen_key, 0) > idle
            or now - session.get(started_key, 0) > absolute
        ):
            self.clear()
            return False
        if now - session.get(seen_key, 0) >= SEEN_RESOLUTION:
            session[seen_key] = now
        return True

    def had_subject(self) -> bool:
        """Whether the cookie names a subject (before `is_current` judged it)."""
        return self.keys[0] in session

    def clear(self) -> None:
        for key in self.keys:
            session.pop(key, None)
