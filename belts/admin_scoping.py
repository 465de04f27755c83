"""Console pages limited to what the staff member's operation centers serve.

A ModelAdmin declares how its rows reach a belt (``belt_path``) or an operation center
(``center_path``), and ``CenterScopedAdminMixin`` filters its ``get_queryset`` for anyone but a
superuser. Everything the admin builds on that queryset follows: the changelist and its search,
date hierarchy and facets, the change, delete and history pages, bulk actions, and the
autocomplete of every form that points at the model. On top of that the mixin

- answers 404 for a row out of scope (Django would redirect to the index with "doesn't exist"),
- limits the choices of foreign keys and many-to-many fields that point at a scoped model to the
  rows in scope, so a form cannot attach a row to another center's merchant or belt,
- limits the choices of the changelist's related filters (belts, centers) in the same way,
- makes its lists' row links once per page instead of once per row
  (``core.admin.ConsoleChangeList``).

The filters are subqueries (see ``belts.scoping``): no query is added to any page.
"""

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.utils import (
    NotRelationField,
    get_fields_from_path,
    get_model_from_relation,
)
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import Q
from django.http import Http404
from django.utils.html import format_html
from django.utils.translation import gettext as _

from core.admin import ConsoleChangeList

from .scoping import belt_scope, center_scope


def _scoped_admin_for(admin_site, model) -> "CenterScopedAdminMixin | None":
    if not admin_site.is_registered(model):
        return None
    model_admin = admin_site.get_model_admin(model)
    return model_admin if isinstance(model_admin, CenterScopedAdminMixin) else None


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related filter listing only the rows in the user's scope (their belts, their centers)."""

    def field_choices(self, field, request, model_admin):
        related_admin = _scoped_admin_for(model_admin.admin_site, get_model_from_relation(field))
        scope = related_admin.get_scope_filter(request) if related_admin else None
        if scope is None:
            return super().field_choices(field, request, model_admin)
        queryset = related_admin.model._default_manager.filter(scope)
        if hasattr(field, "get_limit_choices_to"):
            queryset = queryset.complex_filter(field.get_limit_choices_to())
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


class CenterScopedAdminMixin:
    """Limit a ModelAdmin to the rows of the user's operation centers; superusers see all.

    Its lists' row checkboxes are written directly (the same HTML as Django's, which renders
    each through the form widget templates: a quarter of a 100-row list's time).

    Declare exactly one of:

    - ``belt_path``: the ORM path from the model to its belt (``"belt"``, ``"merchant__belt"``,
      ``"id"`` on the belt itself); rows of the belts the user's centers serve are in scope;
    - ``center_path``: the path to an operation center (``"pk"``, ``"center"``); rows of the
      centers the user belongs to are in scope.

    Put the mixin before ``admin.ModelAdmin`` in the bases. An admin whose ``get_queryset``
    annotates or orders calls ``super()`` first, as usual, and gets the scoped queryset.
    """

    def action_checkbox(self, obj):
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), str(obj)),
        )

    belt_path: str | None = None
    center_path: str | None = None

    def get_changelist(self, request, **kwargs):
        return ConsoleChangeList

    def __init__(self, *args, **kwargs):
        if (self.belt_path is None) == (self.center_path is None):
            raise ImproperlyConfigured(
                f"{type(self).__name__} must declare exactly one of belt_path and center_path."
            )
        super().__init__(*args, **kwargs)

    def get_scope_filter(self, request) -> Q | None:
        """The filter that keeps the rows ``request.user`` may see; None for all of them."""
        if self.center_path is not None:
            return center_scope(request.user, self.center_path)
        return belt_scope(request.user, self.belt_path)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        scope = self.get_scope_filter(request)
        return queryset if scope is None else queryset.filter(scope)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and self.get_scope_filter(request) is not None:
            # Out of scope or missing: the same answer, so a typed URL tells nothing about
            # another center's rows. (Superusers keep Django's redirect with a message.)
            # No translated text: a 404's message shows only on a DEBUG page.
            raise Http404(f"No {self.opts.label} with key {object_id!r} in scope.")
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return self._limit_choices(formfield, db_field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        return self._limit_choices(formfield, db_field, request)

    def _limit_choices(self, formfield, db_field, request):
        related_admin = _scoped_admin_for(self.admin_site, db_field.related_model)
        if formfield is None or related_admin is None:
            return formfield
        scope = related_admin.get_scope_filter(request)
        if scope is not None:
            formfield.queryset = formfield.queryset.filter(scope)
        return formfield

    def get_list_filter(self, request):
        list_filter = super().get_list_filter(request)
        if self.get_scope_filter(request) is None:
            return list_filter
        return [self._scoped_list_filter(item) for item in list_filter]

    def _scoped_list_filter(self, item):
        """A plain related filter on a scoped model (``"belt"``, ``"merchant__belt"``) becomes
        one that lists only the rows in scope; other filters stay as they are."""
        if not isinstance(item, str):
            return item
        try:
            field = get_fields_from_path(self.model, item)[-1]
        except (FieldDoesNotExist, NotRelationField):
            return item
        if not field.is_relation:
            return item
        if _scoped_admin_for(self.admin_site, get_model_from_relation(field)) is None:
            return item
        return (item, ScopedRelatedFieldListFilter)
