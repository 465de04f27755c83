"""The straightforward per-merchant ORM code a typical Django app would write.

Used as the baseline of the eligibility benchmark and, in the tests, as the reference the
set-based recompute must agree with: it shares no code with ``merchants.facts`` except the
month arithmetic and the dataclass it fills."""

from __future__ import annotations

import datetime
from decimal import Decimal

from belts.models import BeltYearStat
from core.months import add_months, month_start, months_between
from merchants.facts import MerchantFacts, ratio
from merchants.models import Merchant

CENTS = Decimal("0.01")


def merchant_facts_naive(merchant: Merchant, as_of: datetime.date) -> MerchantFacts:
    end = month_start(as_of)
    start = add_months(end, -12)
    prior_start = add_months(end, -24)
    live_start = add_months(end, -3)
    gmv = prior = live_gmv = refund_sum = Decimal(0)
    sessions = months = 0
    for metric in merchant.metrics.all():
        if start <= metric.month < end:
            gmv += metric.gmv
            live_gmv += metric.live_gmv
            refund_sum += metric.refund_rate
            months += 1
            if metric.month >= live_start:
                sessions += metric.live_sessions
        elif prior_start <= metric.month < start:
            prior += metric.gmv
    gmv, prior, live_gmv = (value.quantize(CENTS) for value in (gmv, prior, live_gmv))
    stat = BeltYearStat.objects.filter(belt_id=merchant.belt_id, year=end.year - 1).first()
    return MerchantFacts(
        merchant_id=merchant.pk,
        as_of=as_of,
        belt_id=merchant.belt_id,
        belt_tier=stat.tier if stat else None,
        category=merchant.category.slug,
        merchant_type=merchant.merchant_type,
        brand_stage=merchant.brand_stage,
        is_smb=merchant.is_smb,
        status=merchant.status,
        gmv_12m=gmv,
        gmv_prior_12m=prior,
        yoy_growth=ratio(gmv - prior, prior),
        live_gmv_12m=live_gmv,
        live_share=ratio(live_gmv, gmv),
        live_sessions_90d=sessions,
        refund_rate=ratio(refund_sum, Decimal(months)) if months else None,
        months_with_data=months,
        store_age_months=months_between(merchant.opened_on, as_of),
        months_since_return=(
            months_between(merchant.returned_on, as_of) if merchant.returned_on else None
        ),
    )
