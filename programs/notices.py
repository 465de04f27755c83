"""What merchants are told about their eligibility: the one definition of an eligibility
notification's event key and payload, and its texts rendered from the payload.

Both recompute engines (the statement on PostgreSQL and the evaluation in Python) build their
notifications from here and write them through the outbox (``merchants.services.notifications``,
which owns the envelope, the dedupe key's format and the rows), so the same flip yields the same
keys and payloads on either engine. Subject and body are rendered from the payload in the active
language by the renderers below (registered with the outbox in ``ProgramsConfig.ready``); the
outbox stores their English as the row's fallback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from core.language import in_chinese

from .criteria import criteria_from_json, explain, reasons_from_actuals
from .eligibility import CompiledRuleSet
from .models import Program


def eligibility_event_key(*, merchant_id: int, program_id: int, status_changes: int) -> str:
    """The event of a flip: the merchant's ``status_changes``-th change of status under the
    program. A rerun that finds the same flip finds the same key; the outbox adds the channel
    and recipient (``notification_dedupe_key``)."""
    return f"eligibility:{merchant_id:d}:{program_id:d}:{status_changes:d}"


def eligibility_payload(
    *,
    program: Program,
    rule_set: CompiledRuleSet,
    is_eligible: bool,
    actuals: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """What an eligibility notification carries: enough to render it in any language later
    (the program's code and names), and, for a loss, the rule set's criteria (normalised, as
    ``Criterion.as_json`` writes them) and the value each saw (as ``Eligibility.actuals``)."""
    payload: dict[str, Any] = {
        "program": program.code,
        "program_name": program.name,
        "program_name_zh": program.name_zh,
        "eligible": is_eligible,
    }
    if not is_eligible:
        payload["criteria"] = [criterion.as_json() for criterion in rule_set.criteria]
        payload["actuals"] = list(actuals or [])
    return payload


def _program_name(payload: dict[str, Any]) -> str:
    if in_chinese() and payload.get("program_name_zh"):
        return payload["program_name_zh"]
    return payload.get("program_name") or payload.get("program", "")


def eligibility_gained(payload: dict[str, Any]) -> tuple[str, str]:
    name = _program_name(payload)
    return (
        _("You are eligible for %(program)s") % {"program": name},
        _(
            "Your shop now meets every criterion of %(program)s. You can apply to its open "
            "cohorts from the portal."
        )
        % {"program": name},
    )


def eligibility_lost(payload: dict[str, Any]) -> tuple[str, str]:
    name = _program_name(payload)
    reasons = reasons_from_actuals(
        # Written when the rule set was in force: read without today's bounds.
        criteria_from_json(payload.get("criteria", []), bounded=False),
        payload.get("actuals", []),
    )
    missing = [explain(reason) for reason in reasons if not reason.passed]
    body = _("Your shop no longer meets %(program)s. What it would take:") % {"program": name}
    return (
        _("You are no longer eligible for %(program)s") % {"program": name},
        "\n".join([body, *(f"- {line}" for line in missing)]),
    )
