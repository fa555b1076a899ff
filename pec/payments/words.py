"""Amounts in Italian words, as written on a postal slip ("quattro/88")."""

_UNITS = (
    "zero uno due tre quattro cinque sei sette otto nove dieci undici dodici tredici "
    "quattordici quindici sedici diciassette diciotto diciannove"
).split()
_TENS = "_ _ venti trenta quaranta cinquanta sessanta settanta ottanta novanta".split()


def _below_100(n: int) -> str:
    if n < 20:
        return _UNITS[n]
    tens, unit = divmod(n, 10)
    word = _TENS[tens]
    if unit in (1, 8):  # ventuno, ventotto: the vowel drops before uno and otto
        word = word[:-1]
    return word + (_UNITS[unit] if unit else "")


def _below_1000(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    head = "" if hundreds == 0 else "cento" if hundreds == 1 else _UNITS[hundreds] + "cento"
    if rest == 0:
        return head
    tail = _below_100(rest)
    if head and tail.startswith("ott"):  # centotto, centottanta
        head = head[:-1]
    return head + tail


def number_in_words(n: int) -> str:
    """0 ≤ n < 10⁹ in Italian words, one word as Italian writes numbers."""
    if not 0 <= n < 1_000_000_000:
        raise ValueError("out of range")
    if n == 0:
        return "zero"
    millions, rest = divmod(n, 1_000_000)
    thousands, units = divmod(rest, 1000)
    words = ""
    if millions:
        words += "unmilione" if millions == 1 else _below_1000(millions) + "milioni"
    if thousands:
        words += "mille" if thousands == 1 else _below_1000(thousands) + "mila"
    if units:
        words += _below_1000(units)
    return words


def euro_in_words(cents: int) -> str:
    """4,88 € → "quattro/88" (euros in words, cents in figures)."""
    euros, rest = divmod(cents, 100)
    return f"{number_in_words(euros)}/{rest:02d}"
