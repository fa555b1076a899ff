"""I miei ordini: the member's orders (member journey 12)."""
