"""Geography and clusters: cities, categories, industrial belts, their yearly figures and tiers,
and the operation centers that serve them."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.language import localized_name

from .choices import BeltTier, CenterRole

TEN_BILLION_CNY = Decimal("10000000000")


ONE_BILLION_CNY = Decimal("1000000000")


class City(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100, blank=True)
    province = models.CharField(_("province"), max_length=100)
    province_zh = models.CharField(_("province (Chinese)"), max_length=100, blank=True)
    is_prefecture_level = models.BooleanField(_("prefecture level or above"), default=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90) & Q(latitude__lte=90),
                name="city_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180) & Q(longitude__lte=180),
                name="city_longitude_range",
            ),
        ]
        indexes = [models.Index(fields=["province"], name="city_province_idx")]

    def __str__(self) -> str:
        return localized_name(self.name, self.name_zh)


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100, blank=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return localized_name(self.name, self.name_zh)


class IndustrialBelt(models.Model):
    """A cluster of makers and sellers of one category in one city, e.g. Foshan furniture."""

    name = models.CharField(_("name"), max_length=150)
    name_zh = models.CharField(_("Chinese name"), max_length=150, blank=True)
    slug = models.SlugField(_("slug"), max_length=150, unique=True)
    city = models.ForeignKey(
        City, on_delete=models.PROTECT, related_name="belts", verbose_name=_("city")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="belts", verbose_name=_("category")
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("industrial belt")
        verbose_name_plural = _("industrial belts")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["city", "category"], name="belt_unique_city_category"),
        ]

    def __str__(self) -> str:
        return localized_name(self.name, self.name_zh)


class TierPolicy(models.Model):
    """The thresholds that classify belts for one year. Data, not constants."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    ten_billion_gmv = models.DecimalField(
        _("ten-billion belt GMV threshold (CNY)"),
        max_digits=18,
        decimal_places=2,
        default=TEN_BILLION_CNY,
    )
    growth_min_gmv = models.DecimalField(
        _("growth belt minimum GMV (CNY)"),
        max_digits=18,
        decimal_places=2,
        default=ONE_BILLION_CNY,
    )
    growth_top_n = models.PositiveSmallIntegerField(
        _("growth belts: top N by year-on-year growth"), default=30
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tier policy")
        verbose_name_plural = _("tier policies")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ten_billion_gmv__gt=0) & Q(growth_min_gmv__gt=0),
                name="tierpolicy_thresholds_positive",
            ),
            models.CheckConstraint(
                condition=Q(growth_top_n__gt=0), name="tierpolicy_top_n_positive"
            ),
            models.CheckConstraint(
                condition=Q(growth_min_gmv__lte=models.F("ten_billion_gmv")),
                name="tierpolicy_growth_below_ten_billion",
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)

    def is_growth_candidate(self, gmv: Decimal, growth: Decimal | None) -> bool:
        """Whether a belt with these figures is ranked for the growth tier: GMV at least the
        growth minimum, under the ten-billion threshold (those hold the higher tier), and a
        growth figure to rank by."""
        return growth is not None and self.growth_min_gmv <= gmv < self.ten_billion_gmv


def growth_rank_key(belt_id: int, gmv: Decimal, growth: Decimal) -> tuple[Decimal, Decimal, int]:
    """The order belts are ranked by growth: the highest first, ties to the larger GMV, then to
    the older belt (lower id), so the same figures always rank the same way."""
    return (-growth, -gmv, belt_id)


class BeltYearStat(models.Model):
    """One belt's figures for one year, derived from its merchants' monthly metrics."""

    belt = models.ForeignKey(
        IndustrialBelt,
        on_delete=models.CASCADE,
        related_name="year_stats",
        verbose_name=_("belt"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    gmv = models.DecimalField(_("GMV (CNY)"), max_digits=18, decimal_places=2)
    merchant_count = models.PositiveIntegerField(_("merchants"), default=0)
    yoy_growth = models.DecimalField(
        _("year-on-year growth"),
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("0.25 means 25% more than the year before; empty when there is no prior year."),
    )
    tier = models.CharField(
        _("tier"), max_length=20, choices=BeltTier.choices, default=BeltTier.STANDARD
    )
    computed_at = models.DateTimeField(_("computed at"), auto_now=True)

    class Meta:
        verbose_name = _("belt year figures")
        verbose_name_plural = _("belt year figures")
        ordering = ["-year", "-gmv"]
        constraints = [
            models.UniqueConstraint(fields=["belt", "year"], name="beltyearstat_unique_belt_year"),
            models.CheckConstraint(condition=Q(gmv__gte=0), name="beltyearstat_gmv_non_negative"),
            models.CheckConstraint(
                condition=Q(yoy_growth__isnull=True) | Q(yoy_growth__gte=-1),
                name="beltyearstat_growth_at_least_minus_one",
            ),
        ]
        indexes = [models.Index(fields=["year", "tier"], name="beltyearstat_year_tier_idx")]

    def __str__(self) -> str:
        return f"{self.belt} {self.year}"


class OperationCenter(models.Model):
    """A regional merchant operation center; its staff see what the belts it serves own."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=150, blank=True)
    city = models.ForeignKey(
        City, on_delete=models.PROTECT, related_name="operation_centers", verbose_name=_("city")
    )
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    belts = models.ManyToManyField(
        IndustrialBelt,
        related_name="operation_centers",
        blank=True,
        verbose_name=_("belts served"),
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="OperationCenterMembership",
        related_name="operation_centers",
        blank=True,
        verbose_name=_("staff"),
    )

    class Meta:
        verbose_name = _("operation center")
        verbose_name_plural = _("operation centers")
        ordering = ["name"]

    def __str__(self) -> str:
        return localized_name(self.name, self.name_zh)


class OperationCenterMembership(models.Model):
    """A staff member of an operation center, with the role they hold there."""

    center = models.ForeignKey(
        OperationCenter,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("operation center"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="center_memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(
        _("role"), max_length=20, choices=CenterRole.choices, default=CenterRole.REVIEWER
    )
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("center staff membership")
        verbose_name_plural = _("center staff memberships")
        constraints = [
            models.UniqueConstraint(fields=["center", "user"], name="centermembership_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.center} ({self.get_role_display()})"


class BeltTierChange(models.Model):
    """A belt's tier moved when a year's figures were recomputed: the record staff are told of."""

    belt = models.ForeignKey(
        IndustrialBelt,
        on_delete=models.CASCADE,
        related_name="tier_changes",
        verbose_name=_("belt"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    from_tier = models.CharField(_("from"), max_length=20, choices=BeltTier.choices, blank=True)
    to_tier = models.CharField(_("to"), max_length=20, choices=BeltTier.choices)
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("belt tier change")
        verbose_name_plural = _("belt tier changes")
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["belt", "year"], name="belttierchange_belt_year_idx")]

    def __str__(self) -> str:
        before = self.get_from_tier_display() or "—"
        return f"{self.belt} {self.year}: {before} → {self.get_to_tier_display()}"
