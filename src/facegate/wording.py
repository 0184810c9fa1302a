"""How facegate says a count in English: "1 entry", "2 entries" (every face and report uses it)."""


def count(n: int, one: str, other: str | None = None) -> str:
    """`n` with its noun in the singular or the plural (`other`, default `one` + "s"), thousands separated."""
    return f"{n:,} {one if n == 1 else (other or one + 's')}"
