"""What a job run did, in words: "3 promemoria inviati, 1 non riuscito" instead of the
counts it stores ({"sent": 3, "failed": 1})."""

from flask_babel import gettext as _
from flask_babel import ngettext

from pec.domain.job_runs import JOB_SEND_OUTBOX


def _count(key: str, n: int, job: str) -> str:
    if job == JOB_SEND_OUTBOX:
        outbox = {
            "sent": lambda: ngettext("%(num)d e-mail inviata", "%(num)d e-mail inviate", n),
            "retry_later": lambda: ngettext(
                "%(num)d e-mail da ritentare più tardi", "%(num)d e-mail da ritentare più tardi", n
            ),
            "failed": lambda: ngettext(
                "%(num)d e-mail abbandonata dopo l'ultimo tentativo",
                "%(num)d e-mail abbandonate dopo l'ultimo tentativo",
                n,
            ),
            "waiting": lambda: ngettext(
                "%(num)d e-mail in coda (nessun server SMTP configurato)",
                "%(num)d e-mail in coda (nessun server SMTP configurato)",
                n,
            ),
        }
        if key in outbox:
            return outbox[key]()
    words = {
        "ceased": lambda: ngettext("%(num)d casella cessata", "%(num)d caselle cessate", n),
        "deactivated": lambda: ngettext(
            "%(num)d casella disattivata", "%(num)d caselle disattivate", n
        ),
        "sent": lambda: ngettext("%(num)d promemoria inviato", "%(num)d promemoria inviati", n),
        "already_sent": lambda: ngettext(
            "%(num)d già inviato da un altro giro", "%(num)d già inviati da un altro giro", n
        ),
        "unchanged": lambda: ngettext("%(num)d già a posto", "%(num)d già a posto", n),
        "failed": lambda: ngettext("%(num)d non riuscito", "%(num)d non riusciti", n),
        "drafts_cancelled": lambda: ngettext(
            "%(num)d bozza abbandonata annullata", "%(num)d bozze abbandonate annullate", n
        ),
        "documents_purged": lambda: ngettext(
            "%(num)d documento d'identità eliminato", "%(num)d documenti d'identità eliminati", n
        ),
        "reset_tokens_deleted": lambda: ngettext(
            "%(num)d link di recupero scaduto eliminato",
            "%(num)d link di recupero scaduti eliminati",
            n,
        ),
        "job_runs_deleted": lambda: ngettext(
            "%(num)d vecchia registrazione dei job eliminata",
            "%(num)d vecchie registrazioni dei job eliminate",
            n,
        ),
    }
    if key in words:
        return words[key]()
    return ngettext("%(num)d altra operazione", "%(num)d altre operazioni", n)


def counts_in_words(job: str, counts: dict | None) -> str:
    """The counts of one run (or a sum of runs) as a short sentence."""
    parts = [_count(key, n, job) for key, n in (counts or {}).items() if n]
    return ", ".join(parts) if parts else _("niente da fare")
