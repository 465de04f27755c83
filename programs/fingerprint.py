"""The fingerprint of an eligibility outcome: one definition, two executions.

A recompute rewrites an ``Eligibility`` row only when its fingerprint moved, so the evaluation in
Python (``programs.eligibility``, on SQLite and for single merchants) and the one statement on
PostgreSQL (``programs.eligibility_sql``) must store the same fingerprint for the same outcome;
otherwise a run of one engine would rewrite every row the other wrote. Both take it from here:
:func:`fingerprint` in Python, :func:`fingerprint_sql` as an SQL expression, and a test holds the
two equal on random values.

**What goes in.** The rule set's id and the value each of its criteria saw, in the rule set's
order, as ``Eligibility.actuals`` stores them (``Criterion.actual_json``). Nothing else is needed:
a published rule set never changes, so those values decide the outcome, its reasons and
shortfalls.

**Canonical text.** The rule set's id in decimal, then for each criterion ``|`` and its value:

=============  ==========================================================================
none           ``~``
a boolean      ``true`` or ``false``
a whole number in decimal (``42``, ``-3``)
a decimal      as stored, a string with the fact's fixed places (``600000.00``, ``0.1250``)
a code         the text itself (a category slug, a merchant type, a belt tier), with each
               ``\\``, ``|`` and ``~`` preceded by a ``\\``, so no code reads as a separator
               or as none
=============  ==========================================================================

For example rule set 7 seeing a GMV, a merchant type and no growth: ``7|600000.00|oem|~``. These
are exactly PostgreSQL's ``::text`` of the facts' columns (booleans, integers, numerics rounded to
their places), joined by ``array_to_string(..., '|', '~')``.

**Hash.** PostgreSQL's ``hashtextextended(text, 0)`` of the text: Bob Jenkins' lookup3 hash
over its bytes (UTF-8: a database in another encoding only makes
every row be rewritten once), 64 bits, as a signed integer (the ``bigint`` the function returns);
:func:`hash_bytes_extended` is the same function in Python (PostgreSQL's
``src/common/hashfn.c``), held equal to the server's by a test. Computed natively, it costs
the recompute a fraction of MD5's (a rerun that changes nothing computes one per row: 0.3 s less
for 500,000 rows) and compares as an integer. It detects changes; it protects nothing. A stored
fingerprint of none (a row written before the current definition) matches nothing: the next
recompute rewrites the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from .criteria import Criterion

SEPARATOR = "|"
NONE = "~"
ESCAPE = "\\"
_WORD = 0xFFFFFFFF


def _escaped(text: str) -> str:
    return (
        text.replace(ESCAPE, ESCAPE * 2)
        .replace(SEPARATOR, ESCAPE + SEPARATOR)
        .replace(NONE, ESCAPE + NONE)
    )


def canonical_value(value: Any) -> str:
    """One value seen by a criterion, in the canonical text (see the module's docstring)."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        # Plain notation with the value's own places, as PostgreSQL writes a numeric.
        return format(value, "f")
    if isinstance(value, str):
        return _escaped(value)
    raise TypeError(f"no canonical text for {type(value).__name__}")


def canonical_text(rule_set_id: int, actuals: Sequence[Any]) -> str:
    """What the fingerprint digests: ``<rule set id>|<value>|<value>...``."""
    return SEPARATOR.join([str(int(rule_set_id)), *(canonical_value(v) for v in actuals)])


def _rot(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & _WORD


def _mix(a: int, b: int, c: int) -> tuple[int, int, int]:
    a = (a - c) & _WORD
    a ^= _rot(c, 4)
    c = (c + b) & _WORD
    b = (b - a) & _WORD
    b ^= _rot(a, 6)
    a = (a + c) & _WORD
    c = (c - b) & _WORD
    c ^= _rot(b, 8)
    b = (b + a) & _WORD
    a = (a - c) & _WORD
    a ^= _rot(c, 16)
    c = (c + b) & _WORD
    b = (b - a) & _WORD
    b ^= _rot(a, 19)
    a = (a + c) & _WORD
    c = (c - b) & _WORD
    c ^= _rot(b, 4)
    b = (b + a) & _WORD
    return a, b, c


def _final(a: int, b: int, c: int) -> tuple[int, int]:
    c ^= b
    c = (c - _rot(b, 14)) & _WORD
    a ^= c
    a = (a - _rot(c, 11)) & _WORD
    b ^= a
    b = (b - _rot(a, 25)) & _WORD
    c ^= b
    c = (c - _rot(b, 16)) & _WORD
    a ^= c
    a = (a - _rot(c, 4)) & _WORD
    b ^= a
    b = (b - _rot(a, 14)) & _WORD
    c ^= b
    c = (c - _rot(b, 24)) & _WORD
    return b, c


def hash_bytes_extended(data: bytes, seed: int = 0) -> int:
    """PostgreSQL's ``hash_bytes_extended`` (what ``hashtextextended`` computes over a text's
    bytes), as the signed 64-bit integer SQL sees."""
    length = len(data)
    a = b = c = (0x9E3779B9 + length + 3923095) & _WORD
    if seed:
        a = (a + (seed >> 32)) & _WORD
        b = (b + (seed & _WORD)) & _WORD
        a, b, c = _mix(a, b, c)
    start = 0
    while length - start >= 12:
        a = (a + int.from_bytes(data[start : start + 4], "little")) & _WORD
        b = (b + int.from_bytes(data[start + 4 : start + 8], "little")) & _WORD
        c = (c + int.from_bytes(data[start + 8 : start + 12], "little")) & _WORD
        a, b, c = _mix(a, b, c)
        start += 12
    tail = data[start:]
    if len(tail) > 8:  # the lowest byte of c is left for the length (lookup3's convention)
        c = (c + (int.from_bytes(tail[8:], "little") << 8)) & _WORD
    if len(tail) > 4:
        b = (b + int.from_bytes(tail[4:8], "little")) & _WORD
    if tail:
        a = (a + int.from_bytes(tail[:4], "little")) & _WORD
    high, low = _final(a, b, c)
    value = (high << 32) | low
    return value - (1 << 64) if value >= 1 << 63 else value


def fingerprint(rule_set_id: int, actuals: Sequence[Any]) -> int:
    """The fingerprint of an outcome: equal fingerprints mean nothing to write."""
    return hash_bytes_extended(canonical_text(rule_set_id, actuals).encode())


def _value_sql(criterion: Criterion) -> str:
    """``criterion``'s value in the canonical text, NULL for none (``array_to_string`` writes
    ``~`` for it). Numbers and booleans cast to text as they are; only a code is escaped."""
    text = f"{criterion.column}::text"
    if not criterion.textual:
        return text
    # E'' strings: one backslash whatever standard_conforming_strings says.
    return (
        f"replace(replace(replace({text}, E'\\\\', E'\\\\\\\\'), "
        f"'{SEPARATOR}', E'\\\\{SEPARATOR}'), '{NONE}', E'\\\\{NONE}')"
    )


def fingerprint_sql(rule_set_id: int, criteria: Sequence[Criterion]) -> str:
    """:func:`fingerprint` as a PostgreSQL expression over the facts relation ``f`` (each
    criterion reads ``criterion.column``), with no bind parameters.

    One array of texts, whatever the number of criteria: never near a function's 100
    arguments."""
    text = f"'{int(rule_set_id):d}'"
    if criteria:
        values = ", ".join(_value_sql(criterion) for criterion in criteria)
        text += (
            f" || '{SEPARATOR}' || array_to_string(ARRAY[{values}]::text[], "
            f"'{SEPARATOR}', '{NONE}')"
        )
    return f"hashtextextended({text}, 0)"
