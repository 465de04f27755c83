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

**Hash.** The first 16 hexadecimal digits (64 bits) of the MD5 digest of the text's UTF-8
bytes: MD5 because PostgreSQL computes it natively (``md5()``). It detects changes; it protects
nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from .criteria import Criterion

SEPARATOR = "|"
NONE = "~"
ESCAPE = "\\"
LENGTH = 16  # hexadecimal digits kept (``Eligibility.fingerprint`` holds 16)


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


def fingerprint(rule_set_id: int, actuals: Sequence[Any]) -> str:
    """The fingerprint of an outcome: equal fingerprints mean nothing to write."""
    text = canonical_text(rule_set_id, actuals)
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()[:LENGTH]


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
    return f"left(md5({text}), {LENGTH:d})"
