"""The staff console: Django's admin site with the project's titles and its home page.

``config.apps.ConsoleAdminConfig`` installs ``ConsoleSite`` as the default admin site, so every
app's ``@admin.register`` registers with it and ``config/urls.py`` mounts ``admin.site.urls``.
"""

from typing import Any

from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from config import operations
from config.atlas import pages as atlas_pages
from config.atlas import views as atlas_views
from config.dashboard import console_dashboard

# Words of Django's own admin templates that its Simplified Chinese catalogue lacks (the column
# headings of the app list, for screen readers): listed here for this project's catalogue, which
# Django reads before its own.
DJANGO_ADMIN_WORDS = (
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),  # noqa: RUF001
)
# The login lockout's (django-axes) words: it ships no Simplified Chinese.
AXES_WORDS = (
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Attempt Time"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("POST Data"),
    gettext_noop("Path"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("User Agent"),
    gettext_noop("Username"),
    gettext_noop("access attempt"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
)


class ConsoleSite(admin.AdminSite):
    site_header = _("Belt Ops console")
    site_title = _("Belt Ops")
    index_title = _("Merchant operations")

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The console's home: the admin index (its app list and recent actions) with the
        dashboard above them (funnels, tiers, waiting applications), drawn by
        ``templates/admin/index.html``. Wrapped by the site as its own index is: staff only,
        never cached, and every link to "admin:index" lands here."""
        dashboard = console_dashboard(user=request.user)
        dashboard["atlas_map"] = atlas_pages.home_map(
            belt_url=lambda belt: reverse(
                "admin:atlas-belt", args=[belt.slug], current_app=self.name
            )
        )
        context = {"dashboard": dashboard, **(extra_context or {})}
        return super().index(request, extra_context=context)

    def get_urls(self) -> list[URLPattern | URLResolver]:
        """Django's admin URLs and the belt atlas (the map and each belt's page), staff only."""
        return [
            path(
                "atlas/",
                self.admin_view(lambda request: atlas_views.console_atlas(request, self)),
                name="atlas",
            ),
            path(
                "atlas/<slug:slug>/",
                self.admin_view(
                    lambda request, slug: atlas_views.console_atlas_belt(request, self, slug)
                ),
                name="atlas-belt",
            ),
            path(
                "operations/",
                self.admin_view(lambda request: operations.operations(request, self)),
                name="operations",
            ),
            *super().get_urls(),
        ]

    def atlas_menu_entry(self) -> dict[str, Any]:
        """The belt atlas's entry in the menu, among the belts app's models."""
        return {
            "model": None,
            "name": str(capfirst(_("belt atlas"))),
            "object_name": "BeltAtlas",
            "perms": {"view": True},
            "admin_url": reverse("admin:atlas", current_app=self.name),
            "add_url": None,
            "view_only": True,
        }

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict[str, Any]]:
        """The apps and their models, as Django lists them, with the pages that are not a
        model's list (a ``console_pages(request)`` of a model admin: the menu entries it offers
        the user) among their app's models, in the same alphabetical order."""
        app_list = super().get_app_list(request, app_label)
        if app_label is None and operations.may_operate(request):
            app_list.append(
                {
                    "name": str(_("Operations")),
                    "app_label": "operations",
                    "app_url": reverse("admin:operations", current_app=self.name),
                    "has_module_perms": True,
                    "models": [
                        {
                            "model": None,
                            "name": str(_("Queues, outbox and recomputes")),
                            "object_name": "Operations",
                            "perms": {"view": True},
                            "admin_url": reverse("admin:operations", current_app=self.name),
                            "add_url": None,
                            "view_only": True,
                        }
                    ],
                }
            )
        for app in app_list:
            pages = [
                page
                for model, model_admin in self._registry.items()
                if model._meta.app_label == app["app_label"]
                and hasattr(model_admin, "console_pages")
                for page in model_admin.console_pages(request)
            ]
            if app["app_label"] == "belts":
                pages.append(self.atlas_menu_entry())
            if pages:
                app["models"] = sorted([*app["models"], *pages], key=lambda entry: entry["name"])
        if app_label in (None, "belts") and not any(a["app_label"] == "belts" for a in app_list):
            # Every staff member may open the atlas, with or without a permission on belts.
            app_list.append(
                {
                    "name": str(apps.get_app_config("belts").verbose_name),
                    "app_label": "belts",
                    "app_url": reverse("admin:atlas", current_app=self.name),
                    "has_module_perms": True,
                    "models": [self.atlas_menu_entry()],
                }
            )
            app_list.sort(key=lambda entry: entry["name"].lower())
        return app_list
