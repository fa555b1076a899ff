"""Italian province codes (sigle automobilistiche/ISTAT) in use today, for billing (docs/rules.md, member journey 6).

The 107 sigle of provinces, metropolitan cities and free consortia, plus the Sardinian
provinces re-established by L.R. Sardegna 9/2023 (Gallura Nord-Est Sardegna "OT",
Ogliastra "OG", Medio Campidano "VS"), which Italian addresses use again since 2025.
"""

PROVINCES: frozenset[str] = frozenset(
    """
    AG AL AN AO AP AQ AR AT AV BA BG BI BL BN BO BR BS BT BZ CA CB CE CH CL CN CO CR CS
    CT CZ EN FC FE FG FI FM FR GE GO GR IM IS KR LC LE LI LO LT LU MB MC ME MI MN MO MS
    MT NA NO NU OG OR OT PA PC PD PE PG PI PN PO PR PT PU PV PZ RA RC RE RG RI RM RN RO
    SA SI SO SP SR SS SU SV TA TE TN TO TP TR TS TV UD VA VB VC VE VI VR VS VT VV
    """.split()
)


def is_province(code: str) -> bool:
    """True for a current Italian province code such as "RM" (case-insensitive)."""
    return (code or "").strip().upper() in PROVINCES
