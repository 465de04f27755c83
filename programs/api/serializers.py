from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from programs.models import Program, RuleSet


class CriterionSerializer(serializers.Serializer):
    """One typed criterion of a rule set, e.g. ``{"type": "gmv_between", "params": {...}}``."""

    type = serializers.CharField(read_only=True)
    params = serializers.DictField(read_only=True, required=False)


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
