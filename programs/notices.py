"""What merchants are told about their eligibility, rendered from a notification's payload in
the active language (registered with the outbox in ``ProgramsConfig.ready``)."""

from typing import Any

from django.utils.translation import gettext as _

from core.language import in_chinese

from .criteria import criteria_from_json, explain, reasons_from_actuals


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
