"""Schemathesis against the live API with API keys: every operation of the schema, its
examples, coverage and fuzzing phases and the stateful links between operations. No 5xx, no
answer that violates the schema, no status code the schema does not document.

Run in-process against ``live_server`` (the test database, committed), one merchant's key and one
operation center's key, so both roles' answers (lists, 403s, 404s) are checked. Bounded by
examples per operation and a time budget, so the run stops by itself.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.throttling import UserRateThrottle

from belts.choices import CenterRole
from logistics.models import ConditionCheck
from logistics.services.provider_keys import provider_api_key_create
from tests.belts.factories import OperationCenterFactory, OperationCenterMembershipFactory
from tests.logistics.factories import (
    IncidentFactory,
    LegFactory,
    ServiceProviderFactory,
    ShipmentFactory,
)
from tests.merchants.factories import (
    ApiKeyFactory,
    MerchantFactory,
    MerchantMembershipFactory,
    MonthlyMetricFactory,
    NotificationFactory,
)
from tests.programs.factories import (
    CohortFactory,
    EligibilityFactory,
    EnrollmentFactory,
    PublishedRuleSetFactory,
    RuleSetFactory,
)

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"))
MAX_TIME = int(os.environ.get("SCHEMATHESIS_MAX_TIME", "45"))


def world() -> dict[str, str]:
    merchant = MerchantFactory()
    MerchantMembershipFactory(merchant=merchant)
    center = OperationCenterFactory(belts=[merchant.belt])
    OperationCenterMembershipFactory(center=center, role=CenterRole.REVIEWER)
    rule_set = PublishedRuleSetFactory()
    RuleSetFactory(program=rule_set.program, version=rule_set.version + 1)
    EligibilityFactory(merchant=merchant, rule_set=rule_set, program=rule_set.program)
    cohort = CohortFactory(program=rule_set.program)
    EnrollmentFactory(merchant=merchant, cohort=cohort)
    MonthlyMetricFactory(merchant=merchant)
    NotificationFactory(merchant=merchant, recipient=None)
    # A shipment of two legs with its pickup recorded and an incident, and a key of its carrier.
    carrier = ServiceProviderFactory()
    shipment = ShipmentFactory(merchant=merchant)
    pickup = LegFactory(shipment=shipment, sequence=1, provider=carrier)
    LegFactory(shipment=shipment, sequence=2, provider=carrier)
    ConditionCheck.objects.create(
        shipment=shipment, index=0, receiver=pickup, condition="intact", checked_at=timezone.now()
    )
    IncidentFactory(shipment=shipment)
    return {
        "merchant": ApiKeyFactory(merchant=merchant).raw_key,
        "center": ApiKeyFactory(center=center).raw_key,
        "provider": provider_api_key_create(actor=None, provider=carrier, name="Scanner")[1],
    }


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_api_keeps_its_schema_under_generated_requests(live_server, monkeypatch, tmp_path):
    # Generated traffic is far above any caller's rate: the throttle would answer 429s only.
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "1000000/min"})
    keys = world()
    schemathesis = Path(sys.executable).with_name("schemathesis")
    failures = []
    for role, raw_key in keys.items():
        report = tmp_path / role
        report.mkdir()
        result = subprocess.run(  # noqa: S603
            [
                str(schemathesis),
                "run",
                f"{live_server.url}/api/v1/schema/?format=json",
                "--header",
                f"Authorization: Api-Key {raw_key}",
                "--checks",
                CHECKS,
                "--max-examples",
                str(MAX_EXAMPLES),
                "--max-time",
                str(MAX_TIME),
                "--workers",
                "1",
                "--request-timeout",
                "30",
                "--seed",
                "1",
                "--report",
                "ndjson",
                "--report-dir",
                str(report),
                "--no-color",
                "--output-truncate",
                "false",
            ],
            capture_output=True,
            text=True,
            timeout=MAX_TIME * 3,
            check=False,
            env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
        )
        (report / "output.txt").write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            failures.append(
                f"--- as the {role}'s key:\n{result.stdout[-12000:]}{result.stderr[-3000:]}"
            )
    assert not failures, "\n".join(failures)
