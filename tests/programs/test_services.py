"""The eligibility recompute: right for every merchant, writes only changes, notifies once."""

import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from bench.naive import merchant_facts_naive
from merchants.choices import NotificationChannel, NotificationKind
from merchants.exceptions import MetricError
from merchants.facts import merchant_facts_list
from merchants.models import Merchant, MonthlyMetric, Notification, NotificationPreference
from merchants.services.metrics import monthly_metrics_upsert
from merchants.services.notifications import notification_texts
from programs import eligibility_sql
from programs.choices import RuleSetStatus
from programs.criteria import CRITERIA, Criterion, criteria_from_json
from programs.eligibility import CompiledRuleSet, eligibility_reasons, evaluate
from programs.exceptions import (
    CriterionError,
    ProgramError,
    RuleSetImmutable,
    RuleSetNotEvaluable,
)
from programs.models import Eligibility, RuleSet
from programs.services.eligibility import (
    eligibility_recompute,
    rule_set_create_draft,
    rule_set_publish,
    rule_set_simulate,
    rule_set_update_draft,
)
from programs.tasks import eligibility_recompute_all
from tests.belts.factories import UserFactory
from tests.merchants.factories import MerchantFactory, MerchantMembershipFactory
from tests.programs.factories import ProgramFactory, PublishedRuleSetFactory, RuleSetFactory

AS_OF = datetime.date(2026, 11, 27)
MONTHS = [datetime.date(2024 + (10 + i) // 12, (10 + i) % 12 + 1, 1) for i in range(24)]


def add_metrics(merchant, monthly_gmv, *, live_share=Decimal("0.1"), sessions=5, refund="0.02"):
    MonthlyMetric.objects.bulk_create(
        MonthlyMetric(
            merchant=merchant,
            month=month,
            gmv=Decimal(gmv),
            live_gmv=(Decimal(gmv) * live_share).quantize(Decimal("0.01")),
            live_sessions=sessions,
            refund_rate=Decimal(refund),
        )
        for month, gmv in zip(MONTHS, monthly_gmv, strict=False)
    )


def gmv_rule_set(minimum="1000000", program=None):
    kwargs = {"program": program} if program else {}
    return PublishedRuleSetFactory(
        criteria=[{"type": "gmv_between", "params": {"min": minimum}}], **kwargs
    )


def writes(queries):
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


@pytest.mark.django_db
def test_facts_window_covers_the_twelve_complete_months_before_as_of():
    merchant = MerchantFactory(opened_on=datetime.date(2024, 11, 15))
    # 24 months from 2024-11 to 2026-10; the trailing twelve are 2025-11 .. 2026-10.
    add_metrics(merchant, [100] * 12 + [200] * 12, sessions=10)
    MonthlyMetric.objects.create(merchant=merchant, month=datetime.date(2026, 11, 1), gmv=999999)
    (facts,) = merchant_facts_list(as_of=AS_OF, merchant_ids=[merchant.pk])
    assert facts.gmv_12m == Decimal("2400")
    assert facts.gmv_prior_12m == Decimal("1200")
    assert facts.yoy_growth == Decimal("1.0000")
    assert facts.live_sessions_90d == 30  # August, September, October
    assert facts.months_with_data == 12
    assert facts.store_age_months == 24
    assert facts == merchant_facts_naive(merchant, AS_OF)


@pytest.mark.django_db
def test_merchant_without_metrics_has_zero_gmv_and_unknown_ratios():
    merchant = MerchantFactory()
    (facts,) = merchant_facts_list(as_of=AS_OF, merchant_ids=[merchant.pk])
    assert facts.gmv_12m == 0
    assert facts.yoy_growth is None
    assert facts.live_share is None
    assert facts.refund_rate is None


@pytest.mark.django_db
def test_facts_of_many_merchants_take_one_query():
    merchants = MerchantFactory.create_batch(5)
    for merchant in merchants:
        add_metrics(merchant, [1000] * 24)
    with CaptureQueriesContext(connection) as queries:
        merchant_facts_list(as_of=AS_OF, merchant_ids=[m.pk for m in merchants])
    # The aggregation, plus the two small lookup tables (belt tiers, category slugs).
    assert len(queries) == 3


@pytest.mark.django_db
def test_recompute_writes_reasons_and_a_rerun_writes_nothing():
    rule_set = gmv_rule_set("1000000")
    rich, poor = MerchantFactory(), MerchantFactory()
    add_metrics(rich, [100000] * 24)  # 1.2 M over twelve months
    add_metrics(poor, [50000] * 24)  # 0.6 M
    stats = eligibility_recompute(as_of=AS_OF)
    assert (stats.merchants, stats.written, stats.gained, stats.lost) == (2, 2, 1, 0)
    row = Eligibility.objects.get(merchant=poor)
    assert row.is_eligible is False
    assert row.rule_set == rule_set
    assert row.actuals == ["600000.00"]
    assert eligibility_reasons(row)[0].as_json()["shortfall"] == "400000.00"

    notifications = Notification.objects.count()
    with CaptureQueriesContext(connection) as queries:
        again = eligibility_recompute(as_of=AS_OF)
    assert again.written == 0
    assert writes(queries) == []
    assert Notification.objects.count() == notifications


@pytest.mark.django_db
def test_status_flip_notifies_the_merchant_once_in_app_and_by_email():
    rule_set = gmv_rule_set("1000000")
    merchant = MerchantFactory()
    owner = MerchantMembershipFactory(merchant=merchant, user=UserFactory(email="o@example.com"))
    add_metrics(merchant, [100000] * 24)
    eligibility_recompute(as_of=AS_OF)
    gained = Notification.objects.filter(
        merchant=merchant, kind=NotificationKind.ELIGIBILITY_GAINED
    )
    assert sorted(gained.values_list("channel", flat=True)) == [
        NotificationChannel.EMAIL,
        NotificationChannel.IN_APP,
    ]
    assert gained.get(channel=NotificationChannel.EMAIL).recipient == owner.user

    # Metrics drop: the merchant loses eligibility, and is told what it would take.
    MonthlyMetric.objects.filter(merchant=merchant).update(gmv=Decimal("10000"), live_gmv=0)
    stats = eligibility_recompute(as_of=AS_OF)
    assert (stats.gained, stats.lost) == (0, 1)
    lost = Notification.objects.get(
        merchant=merchant, kind=NotificationKind.ELIGIBILITY_LOST, channel="in_app"
    )
    assert "CNY 880,000 more GMV" in notification_texts(lost, "en")["body"]
    zh = notification_texts(lost, "zh-hans")["body"]
    assert "¥88万" in zh  # rendered in the reader's language from the payload
    assert Eligibility.objects.get(merchant=merchant).status_changes == 2

    # Recomputing the same state again, even after a crash-and-retry, notifies no one.
    Eligibility.objects.filter(merchant=merchant).update(fingerprint=None)
    eligibility_recompute(as_of=AS_OF)
    assert Notification.objects.filter(merchant=merchant).count() == 4
    assert rule_set.pk


@pytest.mark.django_db
def test_user_who_turned_email_off_gets_only_the_inbox_message():
    gmv_rule_set("1")
    merchant = MerchantFactory()
    owner = MerchantMembershipFactory(merchant=merchant, user=UserFactory(email="o@example.com"))
    NotificationPreference.objects.create(
        user=owner.user, kind=NotificationKind.ELIGIBILITY_GAINED, email_enabled=False
    )
    add_metrics(merchant, [10] * 24)
    eligibility_recompute(as_of=AS_OF)
    assert list(Notification.objects.values_list("channel", flat=True)) == ["in_app"]


@pytest.mark.django_db
def test_metrics_upsert_recomputes_the_merchant(django_capture_on_commit_callbacks):
    gmv_rule_set("1000000")
    merchant = MerchantFactory()
    rows = [
        {"merchant_id": merchant.pk, "month": month, "gmv": Decimal("100000")} for month in MONTHS
    ]
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        monthly_metrics_upsert(rows=rows)
    row = Eligibility.objects.get(merchant=merchant)
    # The recompute runs as of today; whether the window still covers the rows depends on the
    # day, so compare with what a fresh recompute for today computes.
    expected = evaluate(
        CompiledRuleSet.compile(RuleSet.objects.get()),
        merchant_facts_naive(Merchant.objects.get(pk=merchant.pk), today),
    )
    assert row.is_eligible == expected.is_eligible
    assert row.actuals == list(expected.actuals)


@pytest.mark.django_db
def test_bad_metric_row_writes_nothing_and_names_the_row():
    merchant = MerchantFactory()
    rows = [
        {"merchant_id": merchant.pk, "month": datetime.date(2026, 1, 1), "gmv": Decimal("5")},
        {"merchant_id": merchant.pk, "month": datetime.date(2026, 2, 1), "gmv": Decimal("-5")},
    ]
    with pytest.raises(MetricError, match="Row 2") as error:
        monthly_metrics_upsert(rows=rows)
    assert error.value.field == "gmv"
    assert MonthlyMetric.objects.count() == 0


# Rule sets ---------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_published_rule_set_never_changes():
    rule_set = gmv_rule_set()
    with pytest.raises(RuleSetImmutable):
        rule_set_update_draft(rule_set=rule_set, criteria=[])
    with pytest.raises(RuleSetImmutable):
        rule_set_publish(rule_set=rule_set)
    rule_set.refresh_from_db()
    assert rule_set.criteria == [{"type": "gmv_between", "params": {"min": "1000000"}}]


@pytest.mark.django_db
def test_drafts_validate_their_criteria():
    program = ProgramFactory()
    with pytest.raises(CriterionError):
        rule_set_create_draft(program=program, criteria=[{"type": "gmv_between", "params": {}}])
    assert not RuleSet.objects.exists()


@pytest.mark.django_db
def test_simulation_writes_nothing_and_publishing_then_does_what_it_said(
    django_capture_on_commit_callbacks,
):
    program = ProgramFactory()
    old = gmv_rule_set("1000000", program=program)
    amounts = [40000, 60000, 90000, 120000, 200000]  # monthly: 0.48 M .. 2.4 M a year
    merchants = []
    for amount in amounts:
        merchant = MerchantFactory()
        add_metrics(merchant, [amount] * 24)
        merchants.append(merchant)
    eligibility_recompute(as_of=AS_OF)
    draft = rule_set_create_draft(
        program=program, criteria=[{"type": "gmv_between", "params": {"min": "600000"}}]
    )
    draft = rule_set_update_draft(
        rule_set=draft,
        criteria=[{"type": "gmv_between", "params": {"min": "600000", "max": "2000000"}}],
    )

    with CaptureQueriesContext(connection) as queries:
        simulation = rule_set_simulate(rule_set=draft, as_of=AS_OF)
    assert writes(queries) == []
    assert simulation.counts == {"evaluated": 5, "gain": 1, "lose": 1, "keep": 2}
    assert simulation.gained == [merchants[1].pk]
    assert simulation.lost == [merchants[4].pk]
    assert simulation.kept == [merchants[2].pk, merchants[3].pk]

    with django_capture_on_commit_callbacks(execute=False):
        rule_set_publish(rule_set=draft)
    stats = eligibility_recompute(as_of=AS_OF)
    assert (stats.gained, stats.lost) == (simulation.counts["gain"], simulation.counts["lose"])
    old.refresh_from_db()
    assert old.status == RuleSetStatus.RETIRED
    assert old.retired_at is not None
    assert set(
        Eligibility.objects.filter(program=program, is_eligible=True).values_list(
            "merchant_id", flat=True
        )
    ) == {merchants[1].pk, merchants[2].pk, merchants[3].pk}


@pytest.mark.django_db
def test_publishing_queues_a_recompute_of_the_program(django_capture_on_commit_callbacks):
    program = ProgramFactory()
    merchant = MerchantFactory()
    add_metrics(merchant, [100000] * 24)
    draft = rule_set_create_draft(
        program=program, criteria=[{"type": "gmv_between", "params": {"min": "1"}}]
    )
    with django_capture_on_commit_callbacks(execute=True):
        rule_set_publish(rule_set=draft)
    # Eager Celery in tests: the recompute ran for today's date, and its notice went out.
    assert Eligibility.objects.get(program=program, merchant=merchant).is_eligible
    assert Notification.objects.get(merchant=merchant).status == "delivered"


# The property: the set-based recompute agrees with evaluating each merchant alone. ---------------
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
        lambda v: {"type": "live_sessions_at_least", "params": {"min": v}},
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
    st.builds(
        lambda v: {"type": "merchant_type_in", "params": {"types": v}},
        st.lists(st.sampled_from(["source_factory", "oem", "brand"]), min_size=1, unique=True),
    ),
    st.builds(lambda v: {"type": "smb", "params": {"value": v}}, st.booleans()),
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
            max_size=12,
            unique_by=lambda t: t[0],
        ),
        "opened": st.dates(datetime.date(2015, 1, 1), datetime.date(2026, 11, 1)),
        "returned_after": st.one_of(st.none(), st.integers(0, 60)),
        "type": st.sampled_from(["source_factory", "oem", "brand", "distributor"]),
        "smb": st.booleans(),
    }
)


class TestRecomputeAgreesWithOneByOne(TestCase):
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        merchants=st.lists(MERCHANT, min_size=1, max_size=6),
        rule_sets=st.lists(st.lists(CRITERION, max_size=4), min_size=1, max_size=3),
    )
    def test_property(self, merchants, rule_sets):
        created = []
        for spec in merchants:
            returned = (
                spec["opened"] + datetime.timedelta(days=30 * spec["returned_after"])
                if spec["returned_after"] is not None
                else None
            )
            merchant = MerchantFactory(
                opened_on=spec["opened"],
                returned_on=returned,
                merchant_type=spec["type"],
                is_smb=spec["smb"],
            )
            MonthlyMetric.objects.bulk_create(
                MonthlyMetric(
                    merchant=merchant,
                    month=MONTHS[index],
                    gmv=Decimal(gmv),
                    live_gmv=Decimal(gmv) * live / 100,
                    live_sessions=sessions,
                    refund_rate=Decimal(refund) / 1000,
                )
                for index, gmv, live, sessions, refund in spec["months"]
            )
            created.append(merchant)
        for criteria in rule_sets:
            PublishedRuleSetFactory(criteria=criteria)

        eligibility_recompute(as_of=AS_OF, chunk_size=4)

        compiled = [
            CompiledRuleSet.compile(r)
            for r in RuleSet.objects.filter(status=RuleSetStatus.PUBLISHED)
        ]
        stored = {(row.merchant_id, row.program_id): row for row in Eligibility.objects.all()}
        assert len(stored) == len(created) * len(compiled)
        for merchant in Merchant.objects.prefetch_related("metrics").select_related("category"):
            facts = merchant_facts_naive(merchant, AS_OF)
            for rule_set in compiled:
                alone = evaluate(rule_set, facts)
                row = stored[(merchant.pk, rule_set.program_id)]
                assert row.is_eligible == alone.is_eligible
                assert row.actuals == list(alone.actuals)
                assert [r.as_json() for r in eligibility_reasons(row)] == alone.reasons_json()
        assert criteria_from_json([]) == []


# Publishing is all or nothing; one program never stops the others' recompute --------------------
TOO_MANY = [{"type": "smb", "params": {"value": True}}] * 1000


class Broken(Criterion):
    """A criterion type whose evaluation fails in both engines: bad SQL, a Python error."""

    type = "broken"
    label = "broken"
    fact = "gmv_12m"

    def judge(self, actual):
        raise ArithmeticError("broken on purpose")

    def passed_sql(self):
        return "no_such_column > 0", ()


@pytest.fixture
def broken_type(monkeypatch):
    monkeypatch.setitem(CRITERIA, Broken.type, Broken)
    return [{"type": Broken.type}]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "criteria",
    [
        TOO_MANY,
        [{"type": "smb", "params": {"value": True, "colour": "red"}}],
        [{"type": "category_in", "params": {"categories": ["deleted-since"]}}],
    ],
)
def test_a_draft_stored_out_of_bounds_is_not_published(
    criteria, django_capture_on_commit_callbacks
):
    # Stored before the bounds (or its category deleted since): publishing validates it again.
    program = ProgramFactory()
    previous = PublishedRuleSetFactory(program=program, version=1)
    draft = RuleSetFactory(program=program, version=2, criteria=criteria)

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(CriterionError):
        rule_set_publish(rule_set=draft)

    assert callbacks == []  # no recompute queued
    draft.refresh_from_db()
    previous.refresh_from_db()
    assert (draft.status, draft.published_at) == (RuleSetStatus.DRAFT, None)
    assert (previous.status, previous.retired_at) == (RuleSetStatus.PUBLISHED, None)


@pytest.mark.django_db
def test_what_the_database_cannot_evaluate_is_never_published(
    broken_type, django_capture_on_commit_callbacks, caplog
):
    program = ProgramFactory()
    previous = PublishedRuleSetFactory(program=program, version=1)
    draft = rule_set_create_draft(program=program, criteria=broken_type)
    MerchantFactory()

    if eligibility_sql.supported():
        # PostgreSQL plans the statement inside the publish transaction: refused, unchanged.
        with pytest.raises(RuleSetNotEvaluable) as error:
            rule_set_publish(rule_set=draft)
        assert error.value.code == "not_evaluable"
        draft.refresh_from_db()
        previous.refresh_from_db()
        assert draft.status == RuleSetStatus.DRAFT
        assert previous.status == RuleSetStatus.PUBLISHED
    else:
        # Elsewhere the Python engine finds out only when it runs, after the commit: the
        # publication stands (no half state, no failed request) and the failure is logged.
        with django_capture_on_commit_callbacks(execute=True):
            rule_set_publish(rule_set=draft)
        draft.refresh_from_db()
        previous.refresh_from_db()
        assert draft.status == RuleSetStatus.PUBLISHED
        assert previous.status == RuleSetStatus.RETIRED
        assert "broken on purpose" in caplog.text


@pytest.mark.django_db
def test_a_stored_rule_set_out_of_bounds_is_skipped_and_the_others_recomputed(caplog):
    good = gmv_rule_set("1000000")
    stale = PublishedRuleSetFactory(criteria=TOO_MANY)  # stored before the bounds
    merchant = MerchantFactory()
    add_metrics(merchant, [100000] * 24)

    stats = eligibility_recompute(as_of=AS_OF)

    assert stats.failed_programs == [stale.program_id]
    assert Eligibility.objects.get(merchant=merchant, program=good.program).is_eligible
    assert not Eligibility.objects.filter(program=stale.program).exists()
    assert f"rule set {stale.pk} of program {stale.program_id} no longer passes" in caplog.text
    # The metric-triggered recompute of one merchant goes on the same way.
    MonthlyMetric.objects.filter(merchant=merchant).update(gmv=Decimal("10"), live_gmv=0)
    assert eligibility_recompute(merchant_ids=[merchant.pk], as_of=AS_OF).lost == 1


@pytest.mark.django_db
def test_one_programs_failing_evaluation_does_not_stop_the_others(broken_type, caplog):
    good = gmv_rule_set("1000000")
    broken = PublishedRuleSetFactory(criteria=broken_type)
    merchants = MerchantFactory.create_batch(3)
    for merchant in merchants:
        add_metrics(merchant, [100000] * 24)

    stats = eligibility_recompute(as_of=AS_OF, chunk_size=2)

    assert stats.failed_programs == [broken.program_id]
    assert (stats.merchants, stats.written, stats.gained) == (3, 3, 3)
    assert Eligibility.objects.filter(program=good.program, is_eligible=True).count() == 3
    assert not Eligibility.objects.filter(program=broken.program).exists()
    assert f"recompute of program {broken.program_id} (rule set {broken.pk}) failed" in caplog.text


@pytest.mark.django_db
def test_the_full_recompute_task_reports_the_programs_it_left_out(broken_type, caplog):
    good = gmv_rule_set("1000000")
    broken = PublishedRuleSetFactory(criteria=broken_type)
    stale = PublishedRuleSetFactory(criteria=TOO_MANY)
    merchant = MerchantFactory()
    add_metrics(merchant, [100000] * 24)

    # Eager in tests: the chord's chunks and its summary run here.
    eligibility_recompute_all.delay(as_of=AS_OF.isoformat(), chunk_size=1)

    assert Eligibility.objects.get(merchant=merchant, program=good.program).is_eligible
    summary = [r for r in caplog.records if "left out programs" in r.getMessage()]
    assert [r.levelname for r in summary] == ["ERROR"]
    assert f"[{broken.program_id}, {stale.program_id}]" in summary[0].getMessage()


@pytest.mark.django_db
def test_when_every_program_fails_the_chunk_fails(broken_type):
    PublishedRuleSetFactory(criteria=broken_type)
    MerchantFactory()
    with pytest.raises((ArithmeticError, DatabaseError)):
        eligibility_recompute(as_of=AS_OF)


@pytest.mark.django_db
def test_notes_are_bounded():
    program = ProgramFactory()
    with pytest.raises(ProgramError) as error:
        rule_set_create_draft(program=program, criteria=[], notes="x" * 2001)
    assert (error.value.field, error.value.code) == ("notes", "too_long")
    draft = rule_set_create_draft(program=program, criteria=[], notes="x" * 2000)
    with pytest.raises(ProgramError) as error:
        rule_set_update_draft(rule_set=draft, notes="a\x00b")
    assert (error.value.field, error.value.code) == ("notes", "null_character")
    draft.refresh_from_db()
    assert draft.notes == "x" * 2000


@pytest.mark.django_db
def test_outcomes_stored_under_older_rules_still_read():
    # Valid when published, out of today's bounds: a repeated type and a parameter no type takes.
    stale = PublishedRuleSetFactory(
        criteria=[
            {"type": "merchant_type_in", "params": {"types": ["oem", "oem"]}},
            {"type": "live_sessions_at_least", "params": {"min": 20, "days": 90, "note": "x"}},
        ]
    )
    merchant = MerchantFactory(merchant_type="oem")
    row = Eligibility.objects.create(
        merchant=merchant,
        program=stale.program,
        rule_set=stale,
        is_eligible=False,
        actuals=["oem", 12],
        computed_at=timezone.now(),
    )
    with pytest.raises(CriterionError):
        criteria_from_json(stale.criteria)

    reasons = eligibility_reasons(Eligibility.objects.select_related("rule_set").get(pk=row.pk))

    assert [(r.passed, r.actual, r.required) for r in reasons] == [
        (True, "oem", ["oem"]),
        (False, 12, 20),
    ]
    assert eligibility_recompute(as_of=AS_OF).failed_programs == [stale.program_id]
