"""The fingerprint of an outcome: one definition (programs/fingerprint.py), the same digest from
Python and, on PostgreSQL, from the SQL expression the set-based recompute evaluates."""

from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from programs.criteria import criteria_from_json
from programs.fingerprint import (
    canonical_text,
    canonical_value,
    fingerprint,
    fingerprint_sql,
    hash_bytes_extended,
)
from tests.utils.services import skip_without


def test_the_canonical_text_is_the_id_and_each_value_seen():
    assert canonical_text(7, ["600000.00", "oem", None, True, False, 42, -3]) == (
        "7|600000.00|oem|~|true|false|42|-3"
    )
    assert canonical_text(7, []) == "7"


def test_the_digest_is_postgresqls_64_bit_text_hash_of_the_canonical_text():
    text = "7|600000.00|oem|~"
    assert fingerprint(7, ["600000.00", "oem", None]) == hash_bytes_extended(text.encode())
    # Pinned (PostgreSQL 15's ``SELECT hashtextextended('7|600000.00|oem|~', 0)``): a change of
    # the definition changes every stored fingerprint, and must be meant.
    assert fingerprint(7, ["600000.00", "oem", None]) == 4666482252771157636
    assert -(2**63) <= fingerprint(1, []) < 2**63  # a bigint, signed as SQL returns it


def test_every_tail_length_and_a_seed_reach_the_hash():
    # lookup3 takes 12 bytes a round and the last 0 to 11 apart: each length hashes differently.
    digests = {hash_bytes_extended(b"x" * length) for length in range(30)}
    assert len(digests) == 30
    assert hash_bytes_extended(b"abc", 7) != hash_bytes_extended(b"abc")


def test_a_code_never_reads_as_a_separator_or_as_none():
    assert canonical_value("a|b") == "a\\|b"
    assert canonical_value("~") == "\\~"
    assert canonical_value("\\") == "\\\\"
    assert fingerprint(1, ["a|b"]) != fingerprint(1, ["a", "b"])
    assert fingerprint(1, ["~"]) != fingerprint(1, [None])
    assert fingerprint(1, ["a\\", "b"]) != fingerprint(1, ["a\\|b"])


def test_a_decimal_is_written_plainly_with_its_places():
    assert canonical_value(Decimal("600000.00")) == "600000.00"
    assert canonical_value(Decimal("1E+3")) == "1000"
    assert canonical_value(Decimal("0.0000")) == "0.0000"
    with pytest.raises(TypeError):
        canonical_value(1.5)


CODE = st.text(alphabet=st.sampled_from("ab|~\\-_é"), max_size=4)
VALUES = st.lists(st.one_of(st.none(), st.booleans(), st.integers(-5, 5), CODE), max_size=4)


@given(VALUES, VALUES)
def test_different_values_make_different_texts(first, second):
    # Booleans and whole numbers of the same position never share one (a criterion's values
    # are of one type); compare like with like.
    if [type(v) for v in first] == [type(v) for v in second] and first != second:
        assert canonical_text(3, first) != canonical_text(3, second)


# The SQL expression against the Python definition, on PostgreSQL --------------------------------
class TestTheHashIsPostgresqls(TestCase):
    def setUp(self):
        if connection.vendor != "postgresql":
            skip_without("needs DATABASE_URL pointing at PostgreSQL: the hash is PostgreSQL's")

    @settings(max_examples=200, deadline=None)
    @given(
        text=st.text(
            alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
            max_size=60,
        ),
        seed=st.one_of(st.just(0), st.integers(1, 2**63 - 1)),
    )
    def test_property(self, text, seed):
        with connection.cursor() as cursor:
            cursor.execute("SELECT hashtextextended(%s, %s)", [text, seed])
            assert cursor.fetchone()[0] == hash_bytes_extended(text.encode(), seed)


CRITERIA = criteria_from_json(
    [
        {"type": "gmv_between", "params": {"min": "1"}},
        {"type": "yoy_growth_at_least", "params": {"min": "0.2"}},
        {"type": "live_sessions_at_least", "params": {"min": 3}},
        {"type": "returned_within", "params": {"months": 6}},
        {"type": "smb", "params": {"value": True}},
        {"type": "category_in", "params": {"categories": ["furniture"]}},
        {"type": "belt_tier_in", "params": {"tiers": ["growth"]}},
    ]
)
FACTS_ROW = """
    SELECT %s::numeric AS gmv_12m, %s::numeric AS yoy_growth, %s::bigint AS live_sessions_90d,
           %s::int AS months_since_return, %s::boolean AS is_smb, %s::text AS category,
           %s::text AS belt_tier
"""


class TestTheSqlExpressionComputesTheSameFingerprint(TestCase):
    def setUp(self):
        if connection.vendor != "postgresql":
            reason = "needs DATABASE_URL pointing at PostgreSQL: the expression is PostgreSQL's"
            skip_without(reason)

    @settings(max_examples=40, deadline=None)
    @given(
        rule_set_id=st.integers(1, 2**31 - 1),
        gmv=st.decimals(0, 10**13, places=2),
        growth=st.one_of(st.none(), st.decimals(-1, 100, places=4)),
        sessions=st.integers(0, 10_000),
        returned=st.one_of(st.none(), st.integers(0, 1200)),
        smb=st.booleans(),
        # Any text PostgreSQL stores, the escaped characters and non-ASCII among them.
        category=st.text(
            alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
            max_size=12,
        ),
        tier=st.one_of(st.none(), st.sampled_from(["ten_billion", "growth", "standard"])),
    )
    def test_property(self, rule_set_id, gmv, growth, sessions, returned, smb, category, tier):
        # The facts hold fixed places (rounded in SQL, quantized in Python).
        gmv = gmv.quantize(Decimal("0.01"))
        growth = None if growth is None else growth.quantize(Decimal("0.0001"))
        values = [gmv, growth, sessions, returned, smb, category, tier]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {fingerprint_sql(rule_set_id, CRITERIA)} FROM ({FACTS_ROW}) f",  # noqa: S608
                [None if v is None else str(v) if isinstance(v, Decimal) else v for v in values],
            )
            (in_sql,) = cursor.fetchone()
        actuals = [
            criterion.actual_json(value) for criterion, value in zip(CRITERIA, values, strict=True)
        ]
        assert in_sql == fingerprint(rule_set_id, actuals)
        # And with no criteria: the rule set's id alone.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {fingerprint_sql(rule_set_id, [])}")
            assert cursor.fetchone()[0] == fingerprint(rule_set_id, [])
