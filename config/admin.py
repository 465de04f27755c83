"""The console's pages for failed logins (django-axes): who is locked out, the failures on
record, and the action that unlocks. Registered here, on the console site, in place of axes'
own admin (``AXES_ENABLE_ADMIN = False``). Seen by superusers and by staff given the models'
view permission; unlocking needs the delete permission of access attempts."""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.lockout import login_lockouts_reset


@admin.register(AccessAttempt)
class LoginAttemptAdmin(AccessAttemptAdmin):
    actions = ["unlock"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a record of what happened: read, or removed by "unlock"

    @admin.action(description=_("Unlock: forget these failed attempts"), permissions=["delete"])
    def unlock(self, request, queryset):
        count = queryset.count()
        login_lockouts_reset(attempts=queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d login unlocked.",
                "%(count)d logins unlocked.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(AccessFailureLog)
class LoginFailureAdmin(AccessFailureLogAdmin):
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the history stays; unlocking is done on the attempts
