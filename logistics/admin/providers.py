"""Providers, the users they act through, and the providers' scorecards page."""

from django.contrib import admin
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from ..models import ProviderMembership, ServiceProvider
from .scorecards import scorecards_view


@admin.register(ServiceProvider)
class ServiceProviderAdmin(admin.ModelAdmin):
    """The providers; their scorecards page (``scorecards/``) has its own entry in the menu."""

    list_display = ("name", "name_zh", "kind", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "name_zh")

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "scorecards/",
                self.admin_site.admin_view(self.scorecards_view),
                name="{}_{}_scorecards".format(*info),
            ),
            *super().get_urls(),
        ]

    def scorecards_view(self, request):
        return scorecards_view(self, request)

    def console_pages(self, request) -> list[dict]:
        """The menu's entries for pages of this admin that are not a model's list (read by
        ``config.console.ConsoleSite.get_app_list``)."""
        if not self.has_view_permission(request):
            return []
        url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_scorecards",
            current_app=self.admin_site.name,
        )
        return [
            {
                "model": None,
                "name": str(capfirst(_("provider scorecards"))),
                "object_name": "ProviderScorecards",
                "perms": {"view": True},
                "admin_url": url,
                "add_url": None,
                "view_only": True,
            }
        ]


@admin.register(ProviderMembership)
class ProviderMembershipAdmin(admin.ModelAdmin):
    """The users providers act through (their API keys' users): the platform's own business."""

    list_display = ("user", "provider")
    list_select_related = ("user", "provider")
    autocomplete_fields = ("user", "provider")

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
