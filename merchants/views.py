"""Portal pages of the merchants app: thin callers of its selectors and services."""

import datetime
from collections.abc import Collection

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import selectors
from .api_keys import NAME_MAX_LENGTH, api_key_create, api_key_list, api_key_revoke
from .choices import MembershipRole, NotificationKind
from .exceptions import ApiKeyError
from .models import MerchantMembership, Notification
from .presenters import gmv_chart_data, metric_rows, notification_link
from .services.metrics import notification_preferences_update
from .services.notifications import (
    notification_mark_read,
    notification_texts,
    notifications_mark_all_read,
)

METRIC_MONTHS = 12
INBOX_PAGE_SIZE = 25


def _selected_membership(
    request: HttpRequest, memberships: list[MerchantMembership]
) -> MerchantMembership | None:
    """The membership of ``?merchant=<id>``, or the first one. A merchant the user does not
    belong to is a 404, exactly like one that does not exist: the portal does not confirm ids."""
    try:
        return selectors.membership_choose(memberships, merchant_id=request.GET.get("merchant"))
    except MerchantMembership.DoesNotExist:
        raise Http404(_("No such merchant among yours.")) from None


@require_safe
@login_required(login_url="portal:login")
def merchant_metrics(request: HttpRequest) -> HttpResponse:
    memberships = list(selectors.membership_list(user=request.user))
    selected = _selected_membership(request, memberships)
    window_first, window_last = selectors.complete_months_window(months=METRIC_MONTHS)
    metrics = (
        list(selectors.monthly_metric_list(merchant_id=selected.merchant_id, months=METRIC_MONTHS))
        if selected
        else []
    )
    return render(
        request,
        "merchants/metrics.html",
        {
            "memberships": memberships,
            "selected": selected,
            "merchant": selected.merchant if selected else None,
            "metrics": metrics,
            "rows": metric_rows(metrics),
            "chart": gmv_chart_data(reversed(metrics), first=window_first, months=METRIC_MONTHS),
            "window_first": window_first,
            "window_last": window_last,
        },
    )


# Inbox -------------------------------------------------------------------------------------------
def _localise(
    notification: Notification, language: str, *, merchant_ids: Collection[int]
) -> Notification:
    """Subject and body in ``language``: the texts stored per language, else the kind's
    renderer, else the stored (English) subject and body; and the page it is about, if the
    reader may see it. Pure Python: no query per row."""
    texts = notification_texts(notification, language)
    notification.display_subject = texts.get("subject") or notification.subject
    notification.display_body = texts.get("body") or notification.body
    notification.link = notification_link(notification, merchant_ids=merchant_ids)
    return notification


def _page_number(value: str | None) -> int:
    return int(value) if value and value.isdigit() and int(value) > 0 else 1


def _inbox_redirect(request: HttpRequest) -> HttpResponseRedirect:
    """Back to the inbox page the form was posted from."""
    url = reverse("merchants:inbox")
    page = _page_number(request.POST.get("page"))
    return HttpResponseRedirect(f"{url}?page={page}" if page > 1 else url)


@require_safe
@login_required(login_url="portal:login")
def inbox(request: HttpRequest) -> HttpResponse:
    notifications = selectors.inbox_notification_list(user=request.user)
    page = Paginator(notifications, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    language = get_language() or "en"
    merchant_ids = set(selectors.member_merchant_ids(user=request.user))
    items = [
        _localise(notification, language, merchant_ids=merchant_ids)
        for notification in page.object_list
    ]
    return render(
        request,
        "merchants/inbox.html",
        {
            "page": page,
            "notifications": items,
        },
    )


@require_POST
@login_required(login_url="portal:login")
def inbox_mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    # Someone else's notification is a 404, like one that does not exist.
    notification = (
        selectors.inbox_notification_list(user=request.user).filter(pk=notification_id).first()
    )
    if notification is None:
        raise Http404(_("No such notification in your inbox."))
    notification_mark_read(notification=notification)
    return _inbox_redirect(request)


@require_POST
@login_required(login_url="portal:login")
def inbox_mark_all_read(request: HttpRequest) -> HttpResponse:
    marked = notifications_mark_all_read(
        notifications=selectors.inbox_notification_list(user=request.user)
    )
    if marked:
        messages.success(
            request,
            ngettext(
                "%(count)d notification marked as read.",
                "%(count)d notifications marked as read.",
                marked,
            )
            % {"count": marked},
        )
    return _inbox_redirect(request)


# Notification preferences ------------------------------------------------------------------------
# The kinds a merchant's members are sent by e-mail, in the kinds' order; the others go to staff
# or to webhooks only, and a switch for them would change nothing a member receives.
MEMBER_EMAIL_KINDS = (
    NotificationKind.ELIGIBILITY_GAINED,
    NotificationKind.ELIGIBILITY_LOST,
    NotificationKind.ENROLLMENT_CHANGED,
    NotificationKind.SHIPMENT_INCIDENT,
    NotificationKind.SLA_BREACH,
)


class NotificationPreferencesForm(forms.Form):
    """One "send me an e-mail" box per kind; an unticked box is a "no" (a browser sends
    nothing for it), so every kind shown is saved."""

    def __init__(self, *args, preferences: list[dict], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for preference in preferences:
            self.fields[preference["kind"]] = forms.BooleanField(
                label=preference["label"], required=False, initial=preference["email_enabled"]
            )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required(login_url="portal:login")
def notification_preferences(request: HttpRequest) -> HttpResponse:
    """The user's own preferences: in-app messages always (shown, not offered), e-mail per kind.
    Saved for the user, whichever of their merchants a message is about."""
    preferences = [
        preference
        for preference in selectors.notification_preference_list(user=request.user)
        if preference["kind"] in MEMBER_EMAIL_KINDS
    ]
    if request.method == "POST":
        form = NotificationPreferencesForm(request.POST, preferences=preferences)
        if form.is_valid():
            notification_preferences_update(user=request.user, email_enabled=form.cleaned_data)
            messages.success(request, _("Your notification preferences are saved."))
            return HttpResponseRedirect(reverse("merchants:preferences"))
    else:
        form = NotificationPreferencesForm(preferences=preferences)
    return render(request, "merchants/preferences.html", {"form": form})


# API keys ----------------------------------------------------------------------------------------
class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("What the key is for"), max_length=NAME_MAX_LENGTH)
    expires_on = forms.DateField(
        label=gettext_lazy("Last day it works (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


def _owned_membership(request: HttpRequest) -> tuple[list[MerchantMembership], MerchantMembership]:
    """The user's memberships and the selected one, which must be an owner's: only the owner of a
    merchant manages its keys. Any other merchant is a 404, as everywhere in the portal."""
    memberships = [
        membership
        for membership in selectors.membership_list(user=request.user)
        if membership.role == MembershipRole.OWNER
    ]
    merchant_id = request.POST.get("merchant") or request.GET.get("merchant")
    try:
        selected = selectors.membership_choose(memberships, merchant_id=merchant_id)
    except MerchantMembership.DoesNotExist:
        raise Http404(_("No such merchant among yours.")) from None
    if selected is None:
        raise Http404(_("Only a merchant's owner manages its API keys."))
    return memberships, selected


def _keys_page(request, memberships, selected, form, new_key: str | None = None, status=200):
    keys = api_key_list(user=request.user).filter(merchant_id=selected.merchant_id)
    return render(
        request,
        "merchants/api_keys.html",
        {
            "memberships": memberships,
            "selected": selected,
            "merchant": selected.merchant,
            "keys": keys,
            "form": form,
            "new_key": new_key,
        },
        status=status,
    )


@login_required(login_url="portal:login")
def api_keys(request: HttpRequest) -> HttpResponse:
    """The owner's keys for the merchant's integrations: list, create (the key is shown once, on
    this answer only, never stored in clear nor kept in the session)."""
    if not selectors.membership_list(user=request.user).filter(role=MembershipRole.OWNER).exists():
        # Not a 404: the menu links here for every portal user; say who manages keys.
        return render(request, "merchants/api_keys.html", {"not_owner": True})
    memberships, selected = _owned_membership(request)
    if request.method != "POST":
        return _keys_page(request, memberships, selected, ApiKeyCreateForm())
    form = ApiKeyCreateForm(request.POST)
    if form.is_valid():
        expires_on = form.cleaned_data["expires_on"]
        try:
            _api_key, raw_key = api_key_create(
                actor=request.user,
                merchant=selected.merchant,
                name=form.cleaned_data["name"],
                expires_at=(
                    timezone.make_aware(datetime.datetime.combine(expires_on, datetime.time.max))
                    if expires_on
                    else None
                ),
            )
        except ApiKeyError as error:
            form.add_error("expires_on" if error.field == "expires_at" else None, error.message)
        else:
            return _keys_page(request, memberships, selected, ApiKeyCreateForm(), raw_key)
    return _keys_page(request, memberships, selected, form, status=400)


@login_required(login_url="portal:login")
def api_key_revoke_view(request: HttpRequest, prefix: str) -> HttpResponse:
    """Asks first (GET), revokes on the confirmation (POST)."""
    memberships, selected = _owned_membership(request)
    api_key = (
        api_key_list(user=request.user)
        .filter(merchant_id=selected.merchant_id, prefix=prefix, revoked=False)
        .first()
    )
    if api_key is None:
        raise Http404(_("No such key among this merchant's."))
    if request.method == "POST":
        api_key_revoke(api_key=api_key, actor=request.user)
        messages.success(
            request,
            _("The key “%(name)s” is revoked: it opens nothing any more.") % {"name": api_key.name},
        )
        return HttpResponseRedirect(
            f"{reverse('merchants:api-keys')}?merchant={selected.merchant_id}"
        )
    return render(
        request,
        "merchants/api_key_revoke.html",
        {"memberships": memberships, "selected": selected, "api_key": api_key},
    )
