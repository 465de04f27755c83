from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from merchants.api.serializers import MerchantBriefSerializer
from merchants.models import Merchant
from merchants.scoping import visible_merchants
from programs import workflow
from programs.criteria import (
    CRITERIA,
    MAX_CRITERIA,
    MAX_LIST_VALUES,
    MAX_TEXT_LENGTH,
    CategoryNames,
    explain,
)
from programs.eligibility import eligibility_reasons
from programs.models import Cohort, Eligibility, Enrollment, EnrollmentEvent, Program, RuleSet
from programs.services.eligibility import RULE_SET_NOTES_MAX_LENGTH
from programs.services.enrollments import REASON_MAX_LENGTH
from programs.workflow import USER_STEPS, Role


class CriterionSerializer(serializers.Serializer):
    """One typed criterion of a rule set, e.g. ``{"type": "gmv_between", "params": {...}}``."""

    type = serializers.CharField(
        help_text="One of: " + ", ".join(f"`{name}`" for name in sorted(CRITERIA)) + "."
    )
    params = serializers.DictField(
        required=False,
        help_text='The type\'s parameters, e.g. `{"min": "1000000"}` for `gmv_between`; '
        "amounts and rates as decimal strings.",
    )


CRITERIA_HELP = (
    f"At most {MAX_CRITERIA} criteria; a list parameter holds at most {MAX_LIST_VALUES} distinct "
    f"values; any text at most {MAX_TEXT_LENGTH} characters, without NUL characters. Amounts are "
    "CNY with at most 2 decimal places, up to 10^13; ratios have at most 4. Unknown parameters "
    "and unknown category slugs are refused. A refusal is a 400 in the domain error shape, "
    "`field` `criteria`, one entry in `details` per bad criterion (`index` from 0)."
)


@extend_schema_field(CriterionSerializer(many=True))
class CriteriaField(serializers.JSONField):
    """The criteria as given: the rule set services validate them, so that every problem with
    them is one CriterionError, answered in the API's domain error shape (bounds: at most
    ``MAX_CRITERIA`` criteria, see docs/eligibility.md)."""


class PublishedRuleSetSerializer(serializers.ModelSerializer):
    criteria = CriterionSerializer(many=True, read_only=True)

    class Meta:
        model = RuleSet
        fields = ["id", "version", "published_at", "criteria"]


class ProgramSerializer(serializers.ModelSerializer):
    published_rule_set = serializers.SerializerMethodField(
        help_text="The rule set currently in force; null while none is published."
    )

    class Meta:
        model = Program
        fields = ["id", "code", "name", "name_zh", "description", "is_active", "published_rule_set"]

    @extend_schema_field(PublishedRuleSetSerializer(allow_null=True))
    def get_published_rule_set(self, program: Program) -> dict | None:
        # Loaded by programs.selectors.program_list(): no query per program.
        published = program.published_rule_sets
        return PublishedRuleSetSerializer(published[0]).data if published else None


class ProgramBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Program
        fields = ["id", "code", "name", "name_zh"]


class RuleSetBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = RuleSet
        fields = ["id", "version"]


# Rule sets -------------------------------------------------------------------------------------
class RuleSetSerializer(serializers.ModelSerializer):
    program = ProgramBriefSerializer(read_only=True)
    criteria = CriterionSerializer(many=True, read_only=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = RuleSet
        fields = [
            "id",
            "program",
            "version",
            "status",
            "criteria",
            "notes",
            "created_by",
            "created_at",
            "published_at",
            "retired_at",
        ]
        read_only_fields = fields


class RuleSetCreateSerializer(serializers.Serializer):
    """A new draft for a program; its version follows the program's latest."""

    program = serializers.PrimaryKeyRelatedField(queryset=Program.objects.all())
    criteria = CriteriaField(help_text=CRITERIA_HELP)
    notes = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=RULE_SET_NOTES_MAX_LENGTH
    )


class RuleSetUpdateSerializer(serializers.Serializer):
    """A draft's criteria and notes. A published or retired rule set answers 409."""

    criteria = CriteriaField(help_text=CRITERIA_HELP)
    notes = serializers.CharField(
        required=False, allow_blank=True, max_length=RULE_SET_NOTES_MAX_LENGTH
    )


# Simulation ------------------------------------------------------------------------------------
SIMULATION_MAX_PAGE_SIZE = 500


SIMULATION_MAX_PAGE = 100_000  # 50 M merchants at the largest page size


class SimulationQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(
        min_value=1,
        max_value=SIMULATION_MAX_PAGE,
        default=1,
        help_text=f"The page of each of the three lists, from 1 to {SIMULATION_MAX_PAGE}.",
    )
    page_size = serializers.IntegerField(
        min_value=1,
        max_value=SIMULATION_MAX_PAGE_SIZE,
        default=100,
        help_text=f"Merchants per list and page, at most {SIMULATION_MAX_PAGE_SIZE}.",
    )


class SimulationCountsSerializer(serializers.Serializer):
    evaluated = serializers.IntegerField(help_text="Merchants evaluated.")
    gain = serializers.IntegerField(help_text="Not eligible now, eligible under this rule set.")
    lose = serializers.IntegerField(help_text="Eligible now, not eligible under this rule set.")
    keep = serializers.IntegerField(help_text="Eligible now and under this rule set.")


class SimulationSerializer(serializers.Serializer):
    """Who would gain, lose and keep eligibility if this rule set were published, against the
    eligibility recorded now. ``gain``, ``lose`` and ``keep`` hold the same page (``page``,
    ``page_size``) of each full list, ordered by merchant id; ``counts`` gives their lengths and
    ``num_pages`` the pages needed for the longest. A page past a list's end gives it empty."""

    rule_set = RuleSetBriefSerializer()
    program = ProgramBriefSerializer()
    as_of = serializers.DateField(help_text="The date the merchants' facts are computed for.")
    counts = SimulationCountsSerializer()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    num_pages = serializers.IntegerField()
    gain = MerchantBriefSerializer(many=True)
    lose = MerchantBriefSerializer(many=True)
    keep = MerchantBriefSerializer(many=True)


# Eligibility -----------------------------------------------------------------------------------
class ReasonSerializer(serializers.Serializer):
    """The outcome of one criterion for the merchant."""

    type = serializers.CharField(help_text="The criterion's type, e.g. `gmv_between`.")
    passed = serializers.BooleanField()
    actual = serializers.JSONField(
        allow_null=True,
        help_text="The merchant's value: a decimal string for money and ratios, a whole number "
        "for counts and months, a code for categorical criteria, null when unknown.",
    )
    required = serializers.JSONField(
        allow_null=True,
        help_text="What the criterion asks for, in the same unit (an object with `min` and `max` "
        "for ranges, a list of codes for categorical criteria).",
    )
    shortfall = serializers.JSONField(
        allow_null=True,
        help_text="How far the merchant is from passing, in the criterion's unit; null when it "
        "passes or when it cannot be measured.",
    )
    message = serializers.CharField(
        help_text="The reason in words, in the request's language (`Accept-Language: zh-hans` "
        "for Simplified Chinese)."
    )


class EligibilitySerializer(serializers.ModelSerializer):
    merchant = MerchantBriefSerializer(read_only=True)
    program = ProgramBriefSerializer(read_only=True)
    rule_set = RuleSetBriefSerializer(read_only=True)
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = Eligibility
        fields = [
            "id",
            "merchant",
            "program",
            "rule_set",
            "is_eligible",
            "computed_at",
            "changed_at",
            "reasons",
        ]

    @extend_schema_field(ReasonSerializer(many=True))
    def get_reasons(self, eligibility: Eligibility) -> list[dict[str, Any]]:
        # Stored as the values the criteria saw; judged and worded here, in the language the
        # request activated.
        # Per page (the context lives for one request, in one language): each rule set parsed
        # once, and each wording made once per criterion and value: many merchants share a
        # type, a category or a tier, and the wording depends on nothing else.
        criteria = self.context.setdefault("criteria_by_rule_set", {})
        worded = self.context.setdefault("reason_messages", {})
        # Category names, read once per page and only if a criterion names a category.
        categories = self.context.setdefault("category_names", CategoryNames())
        reasons = []
        for index, reason in enumerate(eligibility_reasons(eligibility, criteria_cache=criteria)):
            data = reason.as_json()
            key = (eligibility.rule_set_id, index, repr(data["actual"]))
            if key not in worded:
                worded[key] = explain(reason, categories=categories)
            reasons.append({**data, "message": worded[key]})
        return reasons


# Enrollments -----------------------------------------------------------------------------------
# The workflow's steps a user takes, as they appear in the API: ``POST …/enrollments/{id}/<step>/``.
ENROLLMENT_STEPS = [str(step) for step in USER_STEPS]


def step_path(step: str) -> str:
    return step.replace("_", "-")


# The steps as the schema types them (``EnrollmentStepEnum``): their URL spelling.
ENROLLMENT_STEP_CHOICES = [(step_path(step), step_path(step)) for step in ENROLLMENT_STEPS]


class CohortBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cohort
        fields = ["id", "name"]


class EnrollmentEventSerializer(serializers.ModelSerializer):
    # Plain strings: the states' enum is documented once, on the enrollment's ``state`` (the
    # schema would otherwise name the same choices three times, which --fail-on-warn refuses).
    from_state = serializers.CharField(
        read_only=True, help_text="A `state` of the enrollment; empty for its first event."
    )
    to_state = serializers.CharField(read_only=True, help_text="A `state` of the enrollment.")
    actor = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The user who took the step; null for the "
        "workflow itself (a freed seat, a closed window).",
    )

    class Meta:
        model = EnrollmentEvent
        fields = ["id", "from_state", "to_state", "actor", "reason", "created_at"]
        read_only_fields = fields


class EnrollmentSerializer(serializers.ModelSerializer):
    """An enrollment with its history and the steps the requesting user may take now.

    Needs ``roles`` in its context: a function from a merchant to the requesting user's roles
    (see ``EnrollmentViewSet``), so that a whole page costs the same few queries."""

    merchant = MerchantBriefSerializer(read_only=True)
    cohort = CohortBriefSerializer(read_only=True)
    program = ProgramBriefSerializer(read_only=True)
    events = EnrollmentEventSerializer(many=True, read_only=True)
    available_steps = serializers.SerializerMethodField(
        help_text="The steps the requesting user may try now, as in their URLs (e.g. "
        "`start-review`). The step itself still checks the window, eligibility and seats."
    )

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "merchant",
            "cohort",
            "program",
            "state",
            "eligibility_override_reason",
            "created_at",
            "submitted_at",
            "decided_at",
            "waitlisted_at",
            "state_changed_at",
            "graduation_proposed_at",
            "events",
            "available_steps",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=ENROLLMENT_STEP_CHOICES))
    )
    def get_available_steps(self, enrollment: Enrollment) -> list[str]:
        roles: Callable[[Merchant], frozenset[Role]] = self.context["roles"]
        steps = workflow.available_steps(enrollment.state, roles(enrollment.merchant))
        return [step_path(step) for step in steps if step in ENROLLMENT_STEPS]


@extend_schema_field(OpenApiTypes.INT)
class VisibleMerchantField(serializers.PrimaryKeyRelatedField):
    """A merchant the requesting user may see (``merchants.scoping.visible_merchants``): any
    other id, like one that does not exist, gets the same answer, which names nothing."""

    default_error_messages = {
        # Not DRF's default, which quotes the id back: the answer must not depend on it.
        "does_not_exist": gettext_lazy("No merchant with this id among those you may see."),
    }

    def get_queryset(self):
        return visible_merchants(self.context["request"].user)


class EnrollmentCreateSerializer(serializers.Serializer):
    """A new application; submitted at once unless ``submit`` is false. ``merchant`` is one the
    caller may see: any other id is answered as one that does not exist."""

    # Needs the request in its context: the merchant is looked up in its user's scope.

    cohort = serializers.PrimaryKeyRelatedField(
        queryset=Cohort.objects.all(),
        error_messages={"does_not_exist": gettext_lazy("No cohort with this id.")},
    )
    merchant = VisibleMerchantField()
    submit = serializers.BooleanField(
        default=True, help_text="Submit the draft for review in the same transaction."
    )
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=REASON_MAX_LENGTH,
        help_text="Staff only: submit although the merchant is not currently eligible, for this "
        "written reason (kept on the enrollment and in its history). Needs `submit`.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["override_reason"] = attrs["override_reason"].strip()
        if attrs["override_reason"] and not attrs["submit"]:
            raise serializers.ValidationError(
                {"override_reason": _("An eligibility override is given when submitting.")}
            )
        return attrs


class EnrollmentStepSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=REASON_MAX_LENGTH,
        help_text="Why, in words: kept in the enrollment's history and told to the merchant. "
        f"At most {REASON_MAX_LENGTH} characters; required to reject.",
    )


class EnrollmentSubmitSerializer(EnrollmentStepSerializer):
    override_eligibility = serializers.BooleanField(
        default=False,
        help_text="Staff only: submit although the merchant is not currently eligible; "
        "`reason` is then required.",
    )
