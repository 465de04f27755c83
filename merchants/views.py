"""Portal pages of the merchants app: thin callers of its selectors and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from . import selectors
from .models import MerchantMembership, Notification
from .notifications import (
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
            "window_first": window_first,
            "window_last": window_last,
        },
    )


# Inbox -------------------------------------------------------------------------------------------
def _localise(notification: Notification, language: str) -> Notification:
    """Subject and body in ``language``: the texts stored per language, else the kind's
    renderer, else the stored (English) subject and body. Pure Python: no query per row."""
    texts = notification_texts(notification, language)
    notification.display_subject = texts.get("subject") or notification.subject
    notification.display_body = texts.get("body") or notification.body
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
    items = [_localise(notification, language) for notification in page.object_list]
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
