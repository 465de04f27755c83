"""The eligibility list from ``.values()``: a page's rows exactly as ``EligibilitySerializer``
words them (pinned by ``tests/api/test_rows.py``), without model instances or DRF fields.

A page's rule sets are read once (one query for the handful a page holds, not each row's copy
of the criteria), and each reason is judged and worded once per rule set, criterion and value
seen: many merchants share a type, a category or a tier.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import timezone

from merchants.api.rows import datetime_json
from programs.criteria import CategoryNames, criteria_from_json, explain
from programs.models import RuleSet

ELIGIBILITY_VALUES = (
    "id",
    "merchant__id",
    "merchant__shop_name",
    "program__id",
    "program__code",
    "program__name",
    "program__name_zh",
    "rule_set__id",
    "rule_set__version",
    "is_eligible",
    "computed_at",
    "changed_at",
    "actuals",
)


def eligibility_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``EligibilitySerializer(many=True).data`` from ``.values(*ELIGIBILITY_VALUES)``, in the
    active language."""
    rows = list(rows)
    tz = timezone.get_current_timezone()
    criteria = {
        rule_set_id: criteria_from_json(data, bounded=False)
        for rule_set_id, data in RuleSet.objects.filter(
            id__in={row["rule_set__id"] for row in rows}
        )
        .order_by()
        .values_list("id", "criteria")
    }
    reasons: dict[tuple[int, int, str], dict[str, Any]] = {}
    categories = CategoryNames()  # read once, only if a criterion names a category

    def reason(rule_set_id: int, index: int, actual: Any) -> dict[str, Any]:
        key = (rule_set_id, index, repr(actual))
        if key not in reasons:
            criterion = criteria[rule_set_id][index]
            judged = criterion.judge(criterion.actual_from_json(actual))
            reasons[key] = {**judged.as_json(), "message": explain(judged, categories=categories)}
        return reasons[key]

    result = []
    for row in rows:
        rule_set_id = row["rule_set__id"]
        actuals = row["actuals"] or []
        if len(actuals) != len(criteria[rule_set_id]):
            raise ValueError(f"eligibility {row['id']}: values seen do not match its rule set")
        result.append(
            {
                "id": row["id"],
                "merchant": {"id": row["merchant__id"], "shop_name": row["merchant__shop_name"]},
                "program": {
                    "id": row["program__id"],
                    "code": row["program__code"],
                    "name": row["program__name"],
                    "name_zh": row["program__name_zh"],
                },
                "rule_set": {"id": rule_set_id, "version": row["rule_set__version"]},
                "is_eligible": row["is_eligible"],
                "computed_at": datetime_json(row["computed_at"], tz),
                "changed_at": datetime_json(row["changed_at"], tz),
                "reasons": [
                    reason(rule_set_id, index, actual) for index, actual in enumerate(actuals)
                ],
            }
        )
    return result
