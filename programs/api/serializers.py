from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from merchants.api.serializers import MerchantBriefSerializer
from programs.criteria import CRITERIA, explain
from programs.eligibility import eligibility_reasons
from programs.models import Eligibility, Program, RuleSet


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


@extend_schema_field(CriterionSerializer(many=True))
class CriteriaField(serializers.JSONField):
    """The criteria as given: the rule set services validate them, so that every problem with
    them is one CriterionError, answered in the API's domain error shape."""


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
    criteria = CriteriaField()
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class RuleSetUpdateSerializer(serializers.Serializer):
    """A draft's criteria and notes. A published or retired rule set answers 409."""

    criteria = CriteriaField()
    notes = serializers.CharField(required=False, allow_blank=True)


# Simulation ------------------------------------------------------------------------------------
SIMULATION_MAX_PAGE_SIZE = 500


class SimulationQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(
        min_value=1, default=1, help_text="The page of each of the three lists, from 1."
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
        return [
            {**reason.as_json(), "message": explain(reason)}
            for reason in eligibility_reasons(eligibility)
        ]
