"""Support programs in the console: the programs themselves, with their published version."""

from django import forms
from django.contrib import admin
from django.core.validators import MaxLengthValidator
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from ..choices import RuleSetStatus
from ..models import Program, RuleSet

# The longest description of a program the console takes.
PROGRAM_DESCRIPTION_MAX_LENGTH = 5000


class ProgramForm(forms.ModelForm):
    class Meta:
        model = Program
        fields = ("name", "code", "name_zh", "description", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("description")  # absent for a user who may only view
        if field is not None:
            field.max_length = PROGRAM_DESCRIPTION_MAX_LENGTH
            field.validators.append(MaxLengthValidator(PROGRAM_DESCRIPTION_MAX_LENGTH))


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    form = ProgramForm
    list_display = ("name", "code", "name_zh", "is_active", "published_version", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "name_zh", "code")
    prepopulated_fields = {"code": ("name",)}
    readonly_fields = ("created_at",)

    def get_queryset(self, request):
        published = RuleSet.objects.filter(program=OuterRef("pk"), status=RuleSetStatus.PUBLISHED)
        return (
            super()
            .get_queryset(request)
            .annotate(published_version=Subquery(published.values("version")[:1]))
        )

    @admin.display(description=_("published rule set"), ordering="published_version")
    def published_version(self, obj):
        if obj.published_version is None:
            return None
        return _("v%(version)s") % {"version": obj.published_version}
