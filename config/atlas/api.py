"""``belts/<id>/`` with the belt's page figures (``config.atlas.figures``): the belts app's
belt viewset, its lists and ``belts/geo/`` unchanged, with a detail that adds ``figures``. It
lives here because the figures draw on every app; ``config/api_router.py`` registers it in the
belts app's place."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from belts.api.serializers import IndustrialBeltSerializer
from belts.api.views import IndustrialBeltViewSet
from belts.choices import BeltTier
from belts.models import IndustrialBelt
from config.atlas.access import BeltAccess
from config.atlas.figures import belt_figures_get


class YearPointSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    gmv = serializers.DecimalField(
        max_digits=18, decimal_places=2, help_text="GMV (CNY) of the year."
    )
    merchant_count = serializers.IntegerField(help_text="Merchants that sold that year.")
    yoy_growth = serializers.DecimalField(
        max_digits=9, decimal_places=4, allow_null=True, help_text="A ratio: 0.25 is +25%."
    )
    tier = serializers.ChoiceField(choices=BeltTier.choices)


class TierReasonSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=BeltTier.choices)
    year = serializers.IntegerField()
    sentence = serializers.CharField(help_text="Why, in the caller's language.")
    growth_rank = serializers.IntegerField(
        allow_null=True, help_text="Rank of its growth among every belt with a growth figure."
    )
    ranked_of = serializers.IntegerField()
    candidate_rank = serializers.IntegerField(
        allow_null=True,
        help_text="Rank among the belts the growth tier is chosen from (GMV between the "
        "policy's growth minimum and the ten-billion threshold).",
    )
    candidates = serializers.IntegerField()


class TierChangeSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    from_tier = serializers.CharField(help_text="Empty for the belt's first classification.")
    to_tier = serializers.ChoiceField(choices=BeltTier.choices)
    changed_at = serializers.DateTimeField()


class CenterBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    name_zh = serializers.CharField()
    city = serializers.CharField(source="city.name")


class CompositionRowSerializer(serializers.Serializer):
    merchant_type = serializers.CharField()
    me_too = serializers.IntegerField()
    me_better = serializers.IntegerField()
    me_only = serializers.IntegerField()
    total = serializers.IntegerField()


class StageTotalsSerializer(serializers.Serializer):
    me_too = serializers.IntegerField()
    me_better = serializers.IntegerField()
    me_only = serializers.IntegerField()


class CompositionSerializer(serializers.Serializer):
    rows = CompositionRowSerializer(many=True)
    stage_totals = StageTotalsSerializer()
    total = serializers.IntegerField()


class ProgramCountSerializer(serializers.Serializer):
    program_id = serializers.IntegerField()
    name = serializers.CharField()
    eligible = serializers.IntegerField()
    enrolled = serializers.IntegerField()


class ProviderRowSerializer(serializers.Serializer):
    provider_id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    legs = serializers.IntegerField()


class LogisticsSerializer(serializers.Serializer):
    shipments = serializers.IntegerField()
    damaged = serializers.IntegerField()
    damage_rate = serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True)
    providers = ProviderRowSerializer(many=True)


class FactoryPointSerializer(serializers.Serializer):
    merchant_id = serializers.IntegerField(
        allow_null=True, help_text="Null for a peer's factory when the caller is a member."
    )
    name = serializers.CharField(source="label", allow_null=True)
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    district = serializers.CharField()
    is_own = serializers.BooleanField()


class BeltFiguresSerializer(serializers.Serializer):
    access = serializers.ChoiceField(
        choices=[(access.value, access.value) for access in BeltAccess],
        help_text="`full`: staff of a center serving the belt; `member`: a member of one of "
        "its merchants; `public`: anyone else, who gets the reference figures only (the "
        "merchant-derived ones are null).",
    )
    years = YearPointSerializer(many=True)
    tier_reason = TierReasonSerializer(allow_null=True)
    tier_history = TierChangeSerializer(many=True)
    operation_centers = CenterBriefSerializer(many=True, source="centers")
    composition = CompositionSerializer(allow_null=True)
    programs = ProgramCountSerializer(many=True, allow_null=True)
    logistics = LogisticsSerializer(allow_null=True)
    factory_count = serializers.IntegerField(allow_null=True)
    factories = FactoryPointSerializer(many=True)


class BeltWithFiguresSerializer(IndustrialBeltSerializer):
    """The detail's shape, for the schema: the belt's fields and ``figures``."""

    figures = BeltFiguresSerializer(read_only=True)

    class Meta(IndustrialBeltSerializer.Meta):
        fields = [*IndustrialBeltSerializer.Meta.fields, "figures"]


class BeltWithFiguresViewSet(IndustrialBeltViewSet):
    @extend_schema(
        summary="A belt with its page's figures",
        description="The belt, and under `figures` what its page shows: every year's GMV and "
        "merchants, why it holds its tier, its tier history and centers; for a caller with "
        "`full` or `member` access also its merchants by type and brand stage, program counts, "
        "deliveries and located source factories (a member sees peers' factories unnamed).",
        responses={200: BeltWithFiguresSerializer},
    )
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        # The figures load the belt themselves: no get_object(), whose query would repeat it.
        try:
            figures = belt_figures_get(user=request.user, belt_id=int(kwargs["pk"]))
        except (ValueError, IndustrialBelt.DoesNotExist):
            raise NotFound from None
        data = dict(IndustrialBeltSerializer(figures.belt, context={"request": request}).data)
        data["figures"] = BeltFiguresSerializer(figures).data
        return Response(data)
