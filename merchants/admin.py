"""Staff console for merchants, their shops, portal users, monthly metrics and the outbox.

Merchants, metrics and notifications are the big tables (100,000 merchants, a row per merchant
and month): their changelists skip the unfiltered total count, filter only on small related
tables (belts, categories, centers) or on choices, and show no per-row lookups.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from belts.admin_scoping import CenterScopedAdminMixin
from belts.selectors import center_list_for
from core.admin import ConsoleImportMixin
from core.money import format_cny_exact as format_cny
from core.money import format_ratio
from core.pagination import BigTablePaginator

from .api_keys import api_key_check, api_key_create, api_key_list, api_key_revoke
from .exceptions import ApiKeyError, MetricError
from .models import (
    ApiKey,
    Merchant,
    MerchantMembership,
    MonthlyMetric,
    Notification,
    NotificationPreference,
    Storefront,
    WebhookEndpoint,
)
from .resources import MerchantResource, MonthlyMetricResource
from .scoping import visible_merchants
from .services.metrics import METRIC_FIELDS, monthly_metrics_check, monthly_metrics_upsert

# Shop addresses typed without a scheme are https (Django 6's default, chosen now).
URL_HTTPS = {models.URLField: {"assume_scheme": "https"}}


class StorefrontInline(admin.TabularInline):
    formfield_overrides = URL_HTTPS
    model = Storefront
    fields = ("channel", "external_id", "name", "url", "opened_on", "is_active")
    extra = 0


class MerchantMembershipInline(admin.TabularInline):
    model = MerchantMembership
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Merchant)
class MerchantAdmin(CenterScopedAdminMixin, ConsoleImportMixin, admin.ModelAdmin):
    belt_path = "belt"
    resource_classes = [MerchantResource]
    list_display = (
        "shop_name",
        "legal_name",
        "belt",
        "category",
        "merchant_type",
        "brand_stage",
        "is_smb",
        "status",
        "opened_on",
    )
    list_select_related = ("belt", "category")
    # Plain related filters list every belt, category and center: those tables are small, while
    # RelatedOnlyFieldListFilter would scan the merchants for the distinct values in use.
    list_filter = (
        "status",
        "merchant_type",
        "brand_stage",
        "is_smb",
        "belt",
        "category",
        "belt__operation_centers",
        "opened_on",
    )
    search_fields = ("shop_name", "legal_name")
    autocomplete_fields = ("belt", "category")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("shop_name", "legal_name", "status")}),
        (
            _("Belt and profile"),
            {"fields": ("belt", "category", "merchant_type", "brand_stage", "is_smb")},
        ),
        (
            _("On the platform"),
            {"fields": ("opened_on", "returned_on", "created_at", "updated_at")},
        ),
        (
            _("Location"),
            {
                "fields": ("district", "latitude", "longitude"),
                "description": _(
                    "Where a source factory makes its goods: its belt's page shows it on a map. "
                    "Optional; give both coordinates or neither."
                ),
            },
        ),
    )
    show_full_result_count = False
    paginator = BigTablePaginator  # estimated or capped counts, deep pages by key
    list_per_page = 50

    def get_inlines(self, request, obj):
        return (StorefrontInline, MerchantMembershipInline, ApiKeyInline)


@admin.register(Storefront)
class StorefrontAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    formfield_overrides = URL_HTTPS
    belt_path = "merchant__belt"
    list_display = ("name", "merchant", "channel", "external_id", "is_active", "opened_on")
    list_select_related = ("merchant",)
    list_filter = ("channel", "is_active", "merchant__belt")
    search_fields = ("name", "=external_id", "merchant__shop_name")
    autocomplete_fields = ("merchant",)
    show_full_result_count = False
    paginator = BigTablePaginator  # estimated or capped counts, deep pages by key
    list_per_page = 50


@admin.register(MerchantMembership)
class MerchantMembershipAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    belt_path = "merchant__belt"
    list_display = ("user", "merchant", "role", "created_at")
    list_select_related = ("user", "merchant")
    list_filter = ("role",)
    search_fields = ("user__username", "user__email", "merchant__shop_name", "merchant__legal_name")
    autocomplete_fields = ("merchant", "user")
    readonly_fields = ("created_at",)
    show_full_result_count = False
    paginator = BigTablePaginator  # estimated or capped counts, deep pages by key
    list_per_page = 50


class RecentMonthFilter(admin.SimpleListFilter):
    """The last 24 months, computed from today rather than read from the table.

    A date hierarchy (or a distinct-values filter) would scan every metric row for the months
    present on each page view; filtering on one month uses the month index.
    """

    title = _("month")
    parameter_name = "month"
    months = 24

    def lookups(self, request, model_admin):
        month = timezone.localdate().replace(day=1)
        choices = []
        for _index in range(self.months):
            choices.append((month.isoformat(), month.strftime("%Y-%m")))
            month = (month - datetime.timedelta(days=1)).replace(day=1)
        return choices

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            month = datetime.date.fromisoformat(self.value())
        except ValueError:
            return queryset.none()
        return queryset.filter(month=month)


class MonthlyMetricForm(forms.ModelForm):
    """One merchant's figures for one month, judged by the rules of ``monthly_metrics_upsert``.

    The service is the only writer of metrics (after its commit the merchant's eligibility is
    recomputed) and the judge of a valid row: ``clean()`` asks it (``monthly_metrics_check``,
    which writes nothing) so that its refusals are this form's errors, each under its figure;
    the admin's ``save_model`` then writes the row through it. A field the service refused is
    left out of the model's constraint checks, which would only repeat it by a constraint's name.
    """

    class Meta:
        model = MonthlyMetric
        fields = ("merchant", "month", *METRIC_FIELDS)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        merchant = data.get("merchant", self.instance.merchant if self.instance.pk else None)
        month = data.get("month", self.instance.month if self.instance.pk else None)
        if self.instance.pk is None and self._month_taken(merchant, month):
            self.add_error(
                "month",
                ValidationError(
                    _("%(merchant)s already has figures for %(month)s: change those instead."),
                    code="unique",
                    params={"merchant": merchant, "month": month.strftime("%Y-%m")},
                ),
            )
            return data
        try:
            monthly_metrics_check(rows=[self.metric_row(merchant, month)])
        except MetricError as error:
            # Each problem under its own field; one row, so no row number in the words.
            for problem in error.details or [{"field": error.field, "message": error.message}]:
                field = "merchant" if problem["field"] == "merchant_id" else problem["field"]
                self.add_error(field if field in self.fields else None, problem["message"])
        return data

    def metric_row(self, merchant, month) -> dict:
        """The row the service takes: the key and the figures as typed."""
        figures = {name: self.cleaned_data.get(name) for name in METRIC_FIELDS}
        return {"merchant_id": merchant.pk, "month": month, **figures}

    @staticmethod
    def _month_taken(merchant, month) -> bool:
        # The upsert would overwrite that month: adding must not replace figures unseen.
        return MonthlyMetric.objects.filter(merchant=merchant, month=month).exists()


@admin.register(MonthlyMetric)
class MonthlyMetricAdmin(CenterScopedAdminMixin, ConsoleImportMixin, admin.ModelAdmin):
    belt_path = "merchant__belt"
    resource_classes = [MonthlyMetricResource]
    list_display = (
        "merchant",
        "month_label",
        "gmv_cny",
        "orders",
        "live_gmv_cny",
        "live_share",
        "live_sessions",
        "followers",
        "refund_rate_percent",
        "new_listings",
    )
    list_select_related = ("merchant",)
    list_filter = (RecentMonthFilter, "merchant__belt", "merchant__category")
    search_fields = ("merchant__shop_name", "merchant__legal_name")
    autocomplete_fields = ("merchant",)
    form = MonthlyMetricForm
    fields = ("merchant", "month", *METRIC_FIELDS, "updated_at")
    show_full_result_count = False
    paginator = BigTablePaginator  # estimated or capped counts, deep pages by key
    list_per_page = 50

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            # The upsert's key: changing it would write a second month, not move this one.
            return ("merchant", "month", "updated_at")
        return ("updated_at",)

    def save_model(self, request, obj, form, change):
        """Write through ``monthly_metrics_upsert``, never a plain save: the form checked the
        row by its rules; ``obj`` becomes the row written (its id, for the log and redirect)."""
        monthly_metrics_upsert(rows=[form.metric_row(obj.merchant, obj.month)])
        obj.pk = MonthlyMetric.objects.values_list("pk", flat=True).get(
            merchant_id=obj.merchant_id, month=obj.month
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except MetricError as error:
            # The month's figures changed between the form's check and the write: the
            # service refused, and the admin's transaction rolled back.
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.display(description=_("month"), ordering="month")
    def month_label(self, obj):
        return obj.month.strftime("%Y-%m")

    @admin.display(description=_("GMV"), ordering="gmv")
    def gmv_cny(self, obj):
        return format_cny(obj.gmv)

    @admin.display(description=_("live-stream GMV"), ordering="live_gmv")
    def live_gmv_cny(self, obj):
        return format_cny(obj.live_gmv)

    @admin.display(description=_("live share"))
    def live_share(self, obj):
        if not obj.gmv:
            return None
        return format_ratio(obj.live_gmv / obj.gmv)

    @admin.display(description=_("refund rate"), ordering="refund_rate")
    def refund_rate_percent(self, obj):
        return format_ratio(obj.refund_rate, decimal_pos=2)


@admin.register(Notification)
class NotificationAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    """The outbox. Delivery is the worker's business: its fields are shown, never edited."""

    belt_path = "merchant__belt"

    list_display = (
        "subject",
        "kind",
        "channel",
        "recipient",
        "merchant",
        "status",
        "attempts",
        "created_at",
        "delivered_at",
        "read_at",
    )
    list_select_related = ("recipient", "merchant")
    # Date filters that compute their ranges from today: a date hierarchy would scan the whole
    # outbox for its range and its years on every page view.
    list_filter = ("status", "channel", "kind", "created_at", "read_at")
    search_fields = ("subject", "=dedupe_key", "recipient__username", "merchant__shop_name")
    autocomplete_fields = ("recipient", "merchant")
    # Newest first by key: the model's "-created_at" order has no index and would sort the whole
    # table for every page; ids grow with creation time, so the order is the same.
    ordering = ("-pk",)
    delivery_fields = (
        "status",
        "attempts",
        "claimed_at",
        "next_attempt_at",
        "last_error",
        "delivered_at",
        "read_at",
        "webhook_endpoint",
        "delivery_id",
        "response_code",
        "latency_ms",
    )
    readonly_fields = (*delivery_fields, "created_at")
    fieldsets = (
        (None, {"fields": ("recipient", "merchant", "channel", "kind")}),
        (_("Message"), {"fields": ("subject", "body", "payload", "dedupe_key")}),
        (_("Delivery"), {"fields": (*delivery_fields, "created_at")}),
    )
    show_full_result_count = False
    paginator = BigTablePaginator  # estimated or capped counts, deep pages by key
    list_per_page = 50

    def get_scope_filter(self, request):
        scope = super().get_scope_filter(request)
        if scope is None:
            return None
        # A message about no merchant is addressed to one staff member: theirs alone.
        return scope | Q(merchant__isnull=True, recipient_id=request.user.pk)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None:
            # Once written, the key is what stops a second message for the same event.
            return (*readonly, "dedupe_key")
        return readonly


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "email_enabled")
    list_select_related = ("user",)
    list_filter = ("kind", "email_enabled")
    search_fields = ("user__username", "user__email")
    autocomplete_fields = ("user",)


# API keys ----------------------------------------------------------------------------------------
class ApiKeyForm(forms.ModelForm):
    """A new key: its owner (one merchant or one center, among those the user may see), a name
    and an optional expiry, checked by the service that creates it."""

    class Meta:
        model = ApiKey
        fields = ("merchant", "center", "name", "expiry_date")

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        if request is not None and "center" in self.fields:
            self.fields["center"].queryset = center_list_for(user=request.user)
        for name in ("merchant", "center"):
            if name in self.fields:
                self.fields[name].required = False

    def clean(self):
        data = super().clean()
        try:
            name, expires_at = api_key_check(
                actor=self.request.user if self.request else None,
                name=data.get("name") or "",
                merchant=data.get("merchant"),
                center=data.get("center"),
                expires_at=data.get("expiry_date"),
            )
        except ApiKeyError as error:
            field = {"expires_at": "expiry_date"}.get(error.field or "", error.field)
            if field in self.fields:
                raise ValidationError({field: error.message}) from None
            raise ValidationError(error.message) from None
        data["name"], data["expiry_date"] = name, expires_at
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys of integrations: created here (shown once), revoked here, never edited or deleted.

    The list is ``api_key_list``'s: a center's staff see their centers' keys and those of the
    merchants their centers serve."""

    form = ApiKeyForm
    list_display = (
        "name",
        "prefix",
        "merchant",
        "center",
        "created",
        "last_used_at",
        "expiry_date",
        "revoked",
    )
    list_filter = ("revoked",)
    search_fields = ("name", "=prefix", "merchant__shop_name")
    autocomplete_fields = ("merchant",)
    actions = ("revoke_keys",)
    show_full_result_count = False
    paginator = BigTablePaginator  # estimated or capped counts, deep pages by key
    list_per_page = 50

    def get_queryset(self, request):
        return api_key_list(user=request.user)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and not request.user.is_superuser:
            # Out of scope or missing: the same answer, as for every scoped model.
            raise Http404("No API key with this key in scope.")
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "merchant":
            kwargs["queryset"] = visible_merchants(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class RequestForm(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, request=request, **inner)

        return RequestForm

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("created",)
        return (
            "name",
            "prefix",
            "merchant",
            "center",
            "created",
            "created_by",
            "last_used_at",
            "expiry_date",
            "revoked",
            "revoked_at",
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("merchant", "center", "name", "expiry_date")
        return self.get_readonly_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        # Viewing is allowed to whoever may add; nothing of a key changes but its revocation.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        api_key, raw_key = api_key_create(
            actor=request.user,
            name=form.cleaned_data["name"],
            merchant=form.cleaned_data.get("merchant"),
            center=form.cleaned_data.get("center"),
            expires_at=form.cleaned_data.get("expiry_date"),
        )
        obj.pk, obj.prefix = api_key.pk, api_key.prefix
        self.message_user(
            request,
            gettext("Copy the key now, it is shown only once: %(key)s") % {"key": raw_key},
            messages.WARNING,
        )

    def save_related(self, request, form, formsets, change):
        pass  # the service wrote everything

    @admin.action(description=_("Revoke the selected keys"))
    def revoke_keys(self, request, queryset):
        revoked = refused = 0
        for api_key in queryset.filter(revoked=False):
            try:
                api_key_revoke(api_key=api_key, actor=request.user)
            except ApiKeyError:
                refused += 1
            else:
                revoked += 1
        self.message_user(
            request,
            gettext("%(revoked)d key(s) revoked.") % {"revoked": revoked},
            messages.SUCCESS,
        )
        if refused:
            self.message_user(
                request,
                gettext("%(refused)d key(s) left alone: only their owner's managers revoke them.")
                % {"refused": refused},
                messages.WARNING,
            )


class ApiKeyInline(admin.TabularInline):
    """The merchant's keys on its page; a new one is made on the keys' own add page."""

    model = ApiKey
    fields = ("name", "prefix", "created", "last_used_at", "expiry_date", "revoked")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("API keys (create one under “API keys”, with this merchant)")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    """Webhook endpoints, to look at: they are written through the API, whose services check
    the address (SSRF guard) and keep the secret out of sight. Staff see their centers' own;
    a merchant's endpoints are that merchant's integration (superusers see all)."""

    center_path = "operation_center"

    list_display = (
        "url",
        "merchant",
        "operation_center",
        "is_active",
        "consecutive_failures",
        "disabled_at",
        "created_at",
    )
    list_select_related = ("merchant", "operation_center")
    list_filter = ("is_active",)
    search_fields = ("url", "description")
    ordering = ("-pk",)
    # Never the secret: it signs deliveries, and the console has no business showing it.
    fields = (
        "merchant",
        "operation_center",
        "url",
        "events",
        "description",
        "is_active",
        "consecutive_failures",
        "disabled_at",
        "created_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
