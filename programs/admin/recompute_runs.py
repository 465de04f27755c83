"""The record of full recomputes in the console: written by the recompute tasks, read-only, for
operators (``programs.operate_platform``: platform-wide figures), like the operators' page that
shows the latest of them."""

from django.contrib import admin

from ..models import RecomputeRun

OPERATE = "programs.operate_platform"


@admin.register(RecomputeRun)
class RecomputeRunAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "trigger",
        "status",
        "chunks",
        "chunks_done",
        "merchants",
        "written",
        "gained",
        "lost",
        "finished_at",
    )
    list_filter = ("trigger", "status")
    ordering = ("-started_at", "-id")
    fields = (
        "trigger",
        "status",
        "program_ids",
        "as_of",
        "started_at",
        "finished_at",
        "chunks",
        "chunks_done",
        "merchants",
        "evaluated",
        "written",
        "gained",
        "lost",
        "notifications",
        "failed_programs",
    )
    readonly_fields = fields
    show_full_result_count = False

    def has_module_permission(self, request):
        return request.user.has_perm(OPERATE)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(OPERATE)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
