"""The POST data of a rule set's criteria form set, row by row, as a browser sends it."""

from typing import Any

PREFIX = "criteria"


def criteria_rows(*rows: tuple[str, dict[str, Any]], prefix: str = PREFIX) -> dict[str, Any]:
    """``("gmv_between", {"min": "1000000"})`` for each row: its type and its parameter fields
    (by parameter name, in the form's units: percentages for ratios)."""
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, (criterion_type, params) in enumerate(rows):
        data[f"{prefix}-{index}-type"] = criterion_type
        for name, value in params.items():
            data[f"{prefix}-{index}-{criterion_type}__{name}"] = value
    return data
