"""The demo convention's contract texts (docs/rules.md, member journey 5), written for this project.

Texts are convention data (ContractDocument rows, versioned); these files only seed the
demo. Titles stay Italian: they are the contract's own headings. Placeholders such as
{venditore} and {titolare} are filled from the convention's identity (pec.domain.seller).
"""

from pathlib import Path

HERE = Path(__file__).parent

# (code, version, title, file) in the order the wizard shows them.
DOCUMENTS = (
    ("conditions", 1, "Condizioni Generali di Contratto", "conditions_v1.txt"),
    (
        "unfair_terms",
        1,
        "Approvazione specifica delle clausole vessatorie (artt. 1341–1342 c.c.)",
        "unfair_terms_v1.txt",
    ),
    ("privacy", 1, "Informativa sul trattamento dei dati personali", "privacy_v1.txt"),
)


def text(filename: str) -> str:
    """A document's text exactly as stored and shown (its SHA-256 is the evidence, R10)."""
    return (HERE / filename).read_text(encoding="utf-8").strip()


def seed_documents(convention) -> None:
    """Create version 1 of each document for `convention` where missing (idempotent)."""
    from pec.domain.seller import fill
    from pec.models import ContractDocument

    for code, version, title, filename in DOCUMENTS:
        exists = ContractDocument.get_or_none(
            (ContractDocument.convention == convention)
            & (ContractDocument.code == code)
            & (ContractDocument.version == version)
        )
        if exists is None:
            template = text(filename)
            ContractDocument.create(
                convention=convention,
                code=code,
                version=version,
                title=title,
                body=fill(template, convention),
                template=template,
            )
