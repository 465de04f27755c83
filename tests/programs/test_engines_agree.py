"""One eligibility contract, two executions: the set-based statement (``programs.eligibility_sql``)
and the evaluation in Python (``programs.eligibility``) run on the same random worlds and must
write the same eligibility rows (outcome, values seen, reasons, fingerprint, status changes) and
the same notifications (kind, channel, addressee, dedupe key, payload, texts).

The SQL engine needs PostgreSQL, so the test runs only there (on CI's PostgreSQL legs a skip is
an error: ``tests.utils.services.skip_without``); on SQLite it is skipped with the reason.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from belts.models import BeltYearStat
from merchants.choices import MembershipRole, NotificationKind
from merchants.models import MonthlyMetric, Notification, NotificationPreference
from programs.eligibility import eligibility_reasons
from programs.fingerprint import fingerprint
from programs.models import Eligibility
from programs.services.eligibility import eligibility_recompute
from tests.belts.factories import CategoryFactory, IndustrialBeltFactory, UserFactory
from tests.merchants.factories import MerchantFactory, MerchantMembershipFactory
from tests.programs.factories import ProgramFactory, PublishedRuleSetFactory
from tests.utils.services import skip_without

AS_OF = datetime.date(2026, 11, 27)
TIER_YEAR = 2025  # the last complete year before AS_OF: the facts' belt tiers
MONTHS = [datetime.date(2024 + (10 + i) // 12, (10 + i) % 12 + 1, 1) for i in range(24)]
CATEGORIES = ["furniture", "luggage", "beauty"]
TIERS = ["ten_billion", "growth", "standard"]
TYPES = ["source_factory", "oem", "brand", "distributor", "live_studio"]
STAGES = ["me_too", "me_better", "me_only"]


def _subset(values):
    return st.lists(st.sampled_from(values), min_size=1, unique=True)


# Every criterion type of programs/criteria.py, with thresholds around the worlds' values.
CRITERION = st.one_of(
    st.builds(
        lambda low, high: {"type": "gmv_between", "params": {"min": low, "max": high}},
        st.sampled_from([None, "0", "300000", "1000000"]),
        st.sampled_from([None, "2000000", "5000000"]),
    ).filter(lambda c: c["params"] != {"min": None, "max": None}),
    st.builds(
        lambda v: {"type": "yoy_growth_at_least", "params": {"min": v}},
        st.sampled_from(["-0.5", "0", "0.2", "1"]),
    ),
    st.builds(
        lambda v: {"type": "live_share_at_least", "params": {"min": v}},
        st.sampled_from(["0", "0.05", "0.2"]),
    ),
    st.builds(
        lambda v: {"type": "live_sessions_at_least", "params": {"min": v, "days": 90}},
        st.integers(0, 40),
    ),
    st.builds(
        lambda v: {"type": "refund_rate_at_most", "params": {"max": v}},
        st.sampled_from(["0.01", "0.05", "0.2"]),
    ),
    st.builds(
        lambda v: {"type": "store_age_at_most", "params": {"months": v}}, st.integers(0, 120)
    ),
    st.builds(
        lambda v: {"type": "store_age_at_least", "params": {"months": v}}, st.integers(0, 120)
    ),
    st.builds(lambda v: {"type": "returned_within", "params": {"months": v}}, st.integers(0, 36)),
    st.builds(lambda v: {"type": "category_in", "params": {"categories": v}}, _subset(CATEGORIES)),
    st.builds(lambda v: {"type": "belt_tier_in", "params": {"tiers": v}}, _subset(TIERS)),
    st.builds(lambda v: {"type": "merchant_type_in", "params": {"types": v}}, _subset(TYPES)),
    st.builds(lambda v: {"type": "brand_stage_in", "params": {"stages": v}}, _subset(STAGES)),
    st.builds(lambda v: {"type": "smb", "params": {"value": v}}, st.booleans()),
)
MEMBER = st.fixed_dictionaries(
    {
        "email": st.booleans(),
        "active": st.booleans(),
        "opted_out": st.sampled_from(
            [None, NotificationKind.ELIGIBILITY_GAINED, NotificationKind.ELIGIBILITY_LOST]
        ),
    }
)
MERCHANT = st.fixed_dictionaries(
    {
        "months": st.lists(
            st.tuples(
                st.integers(0, 23),  # which of the 24 months
                st.integers(0, 400000),  # GMV
                st.integers(0, 100),  # live share %
                st.integers(0, 30),  # sessions
                st.integers(0, 300),  # refund rate per mille
            ),
            max_size=8,
            unique_by=lambda t: t[0],
        ),
        "opened": st.dates(datetime.date(2015, 1, 1), datetime.date(2026, 11, 1)),
        "returned_after": st.one_of(st.none(), st.integers(0, 60)),
        "belt": st.integers(0, 2),
        "category": st.sampled_from(CATEGORIES),
        "type": st.sampled_from(TYPES),
        "stage": st.sampled_from(STAGES),
        "smb": st.booleans(),
        "members": st.lists(MEMBER, max_size=2),
        # The second round: the merchant's GMV multiplied (0: it sold nothing after all).
        "factor": st.sampled_from([0, 1, 3]),
    }
)
WORLD = st.fixed_dictionaries(
    {
        "tiers": st.lists(st.one_of(st.none(), st.sampled_from(TIERS)), min_size=3, max_size=3),
        "merchants": st.lists(MERCHANT, min_size=1, max_size=5),
        "rule_sets": st.lists(st.lists(CRITERION, max_size=4), min_size=1, max_size=3),
    }
)


def build(world) -> list:
    categories = {slug: CategoryFactory(slug=slug) for slug in CATEGORIES}
    belts = []
    for tier in world["tiers"]:
        belt = IndustrialBeltFactory()
        if tier is not None:
            BeltYearStat.objects.create(belt=belt, year=TIER_YEAR, gmv=Decimal(1), tier=tier)
        belts.append(belt)
    merchants = []
    for spec in world["merchants"]:
        returned = (
            spec["opened"] + datetime.timedelta(days=30 * spec["returned_after"])
            if spec["returned_after"] is not None
            else None
        )
        merchant = MerchantFactory(
            belt=belts[spec["belt"]],
            category=categories[spec["category"]],
            opened_on=spec["opened"],
            returned_on=returned,
            merchant_type=spec["type"],
            brand_stage=spec["stage"],
            is_smb=spec["smb"],
        )
        MonthlyMetric.objects.bulk_create(
            MonthlyMetric(
                merchant=merchant,
                month=MONTHS[index],
                gmv=Decimal(gmv),
                live_gmv=(Decimal(gmv) * live / 100).quantize(Decimal("0.01")),
                live_sessions=sessions,
                refund_rate=Decimal(refund) / 1000,
            )
            for index, gmv, live, sessions, refund in spec["months"]
        )
        for position, member in enumerate(spec["members"]):
            user = UserFactory(
                email=f"{UserFactory._meta.model.objects.count()}@example.com"
                if member["email"]
                else "",
                is_active=member["active"],
            )
            role = MembershipRole.OWNER if position == 0 else MembershipRole.OPERATOR
            MerchantMembershipFactory(merchant=merchant, user=user, role=role)
            if member["opted_out"]:
                NotificationPreference.objects.create(
                    user=user, kind=member["opted_out"], email_enabled=False
                )
        merchants.append((merchant, spec["factor"]))
    for criteria in world["rule_sets"]:
        program = ProgramFactory(name_zh="扶持计划")
        PublishedRuleSetFactory(program=program, criteria=criteria)
    return merchants


def rows() -> dict:
    return {
        (row.merchant_id, row.program_id): {
            "rule_set": row.rule_set_id,
            "eligible": row.is_eligible,
            "actuals": row.actuals,
            "reasons": [reason.as_json() for reason in eligibility_reasons(row)],
            "fingerprint": row.fingerprint,
            "status_changes": row.status_changes,
        }
        for row in Eligibility.objects.select_related("rule_set")
    }


def notifications() -> dict:
    return {
        n["dedupe_key"]: n
        for n in Notification.objects.values(
            "dedupe_key",
            "kind",
            "channel",
            "merchant_id",
            "recipient_id",
            "payload",
            "subject",
            "body",
            "status",
        )
    }


def stats_of(stats) -> dict:
    return {k: v for k, v in stats.as_dict().items() if k != "failed_programs"}


class TestBothEnginesWriteTheSame(TestCase):
    def setUp(self):
        if connection.vendor != "postgresql":
            reason = (
                "needs DATABASE_URL pointing at PostgreSQL: the set-based engine it compares "
                "with the Python one runs only there"
            )
            skip_without(reason)

    def run_engine(self, engine: str, merchants: list) -> dict:
        """Two rounds (a first recompute; GMV changed, again), then a rerun by the other engine,
        which must find every fingerprint its own: it writes nothing."""
        other = "python" if engine == "sql" else "sql"
        first = eligibility_recompute(as_of=AS_OF, chunk_size=2, engine=engine)
        after_first = (rows(), notifications())
        for merchant, factor in merchants:
            MonthlyMetric.objects.filter(merchant=merchant).update(
                gmv=F("gmv") * factor, live_gmv=F("live_gmv") * factor
            )
        second = eligibility_recompute(as_of=AS_OF, chunk_size=2, engine=engine)
        after_second = (rows(), notifications())
        rerun = eligibility_recompute(as_of=AS_OF, chunk_size=3, engine=other)
        assert (rerun.written, rerun.gained, rerun.lost, rerun.notifications) == (0, 0, 0, 0)
        for row in after_second[0].values():
            assert row["fingerprint"] == fingerprint(row["rule_set"], row["actuals"])
        return {
            "first": (stats_of(first), *after_first),
            "second": (stats_of(second), *after_second),
        }

    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(world=WORLD)
    def test_property(self, world):
        merchants = build(world)
        results = {}
        for engine in ("sql", "python"):
            # Each engine from the same world: what the other wrote is rolled back.
            savepoint = transaction.savepoint()
            try:
                results[engine] = self.run_engine(engine, merchants)
            finally:
                transaction.savepoint_rollback(savepoint)
        for round_ in ("first", "second"):
            sql_stats, sql_rows, sql_notifications = results["sql"][round_]
            py_stats, py_rows, py_notifications = results["python"][round_]
            assert sql_rows == py_rows, round_
            assert sql_notifications.keys() == py_notifications.keys(), round_
            for key, notification in sql_notifications.items():
                assert notification == py_notifications[key], key
            assert sql_stats == py_stats, round_


# Durability: only a transaction of the recompute's own that writes no notification is async. -----
@pytest.fixture
def postgresql(transactional_db) -> None:
    if connection.vendor != "postgresql":
        reason = "needs DATABASE_URL pointing at PostgreSQL: synchronous_commit is PostgreSQL's"
        skip_without(reason)


def _asynchronous_commits(queries) -> int:
    return sum("synchronous_commit" in query["sql"] for query in queries)


def test_only_a_chunk_without_notifications_skips_the_wal_flush(postgresql):
    PublishedRuleSetFactory(criteria=[{"type": "gmv_between", "params": {"min": "1"}}])
    merchant = MerchantFactory()
    MonthlyMetric.objects.create(merchant=merchant, month=MONTHS[20], gmv=Decimal(100))

    with CaptureQueriesContext(connection) as queries:  # a flip: rows and notifications
        assert eligibility_recompute(as_of=AS_OF, engine="sql").notifications == 1
    assert _asynchronous_commits(queries) == 0

    Eligibility.objects.update(fingerprint=None)  # rows to write again, nothing to notify
    with CaptureQueriesContext(connection) as queries:
        stats = eligibility_recompute(as_of=AS_OF, engine="sql")
    assert (stats.written, stats.notifications) == (1, 0)
    assert _asynchronous_commits(queries) == 1

    Eligibility.objects.update(fingerprint=None)  # inside a caller's transaction: never
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        assert eligibility_recompute(as_of=AS_OF, engine="sql").written == 1
    assert _asynchronous_commits(queries) == 0
