"""A real browser for the portal: Debian's Chromium, driven by Playwright against ``live_server``.

One Chromium per xdist worker (session scope), a fresh context and page per test. Every page is
watched: console errors (among them CSP violations: "Refused to ..." in older Chromium, "...
violates the following Content Security Policy directive ..." in 156), uncaught script errors,
requests that leave this machine and static assets that do not answer 200 fail the test at
teardown.
"""

import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.management import call_command
from django.utils import timezone

from merchants.models import Merchant, Notification
from merchants.selectors import complete_months_window
from programs.services.eligibility import eligibility_recompute
from tests.browser.threaded import PlaywrightThread, Remote
from tests.merchants.factories import NotificationFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium calls Google's services at start, and is refused here.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
# Short enough that a missing element fails fast, long enough for a loaded CI machine.
TIMEOUT_MS = 10_000

# The demo's logins (config/demo/data.py), created by seed_demo.
MERCHANT_LOGIN = ("merchant", "merchant-belt-ops")
STAFF_LOGIN = ("admin", "admin-belt-ops")

# Set it to a directory to keep a copy of the screenshots the tests take.
SCREENSHOT_DIR_VARIABLE = "BROWSER_SCREENSHOT_DIR"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Remote]:
    """Chromium, once per xdist worker, driven from a thread of its own (see ``threaded``)."""
    if not CHROMIUM.exists():
        reason = "needs Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing on CI: {reason}", pytrace=False)
        pytest.skip(reason)
    # Imported here: a machine without the test extra can still collect the other tests.
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    thread = PlaywrightThread()
    playwright = thread.call(lambda: sync_playwright().start())
    try:
        browser = thread.call(
            playwright.chromium.launch, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield Remote(thread, browser)
        thread.call(browser.close)
    finally:
        thread.call(playwright.stop)
        thread.shutdown()


@dataclass
class PageLog:
    """What the browser saw across one test, for the assertions every page must pass."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    bad_static: list[str] = field(default_factory=list)
    static_ok: list[str] = field(default_factory=list)

    @property
    def csp_violations(self) -> list[str]:
        return [
            m for m in self.console_errors if "Refused to" in m or "Content Security Policy" in m
        ]

    def problems(self) -> list[str]:
        return [
            *(f"CSP violation: {m}" for m in self.csp_violations),
            *(f"console error: {m}" for m in self.console_errors if m not in self.csp_violations),
            *(f"script error: {m}" for m in self.page_errors),
            *(f"request left the machine: {url}" for url in self.external_requests),
            *(f"static asset not 200: {line}" for line in self.bad_static),
        ]


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def page(chromium: Remote, live_server, page_log: PageLog) -> Iterator[Remote]:
    context = chromium.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)

    # These handlers run in the Playwright thread: they only record.
    def only_local(route) -> None:
        # A route also turns the HTTP cache off, so every asset is fetched and checked below.
        url = urlsplit(route.request.url)
        if url.scheme in {"http", "https"} and url.hostname not in LOCAL_HOSTS:
            page_log.external_requests.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def on_console(message) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            page_log.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def on_response(response) -> None:
        if urlsplit(response.url).path.startswith("/static/"):
            if response.status == 200:
                page_log.static_ok.append(response.url)
            else:
                page_log.bad_static.append(f"{response.status} {response.url}")

    def on_request_failed(request) -> None:
        # An asset the server does not have is a response (404), caught above. ERR_ABORTED is
        # the browser giving up a request because the test moved on (a navigation cancels the
        # previous page's icon or stylesheet still in flight): not the server's fault.
        if request.failure == "net::ERR_ABORTED":
            return
        if urlsplit(request.url).path.startswith("/static/"):
            page_log.bad_static.append(f"{request.failure} {request.url}")

    context.route("**/*", only_local)
    context.on("console", on_console)
    context.on("response", on_response)
    context.on("requestfailed", on_request_failed)
    page = context.new_page()
    page.on("pageerror", lambda error: page_log.page_errors.append(str(error)))
    yield page
    context.close()
    problems = page_log.problems()
    assert not problems, "The browser reported:\n" + "\n".join(problems)


@dataclass
class Demo:
    user: AbstractUser
    merchant: Merchant
    notification: Notification
    live_sessions_90d: int


@pytest.fixture
def demo(transactional_db) -> Demo:
    """The demo data set, small: the ``merchant`` login owns a merchant with two years of
    metrics and its eligibility assessed today, and two unread messages."""
    call_command("seed_demo", merchants=20, stdout=io.StringIO())
    user = get_user_model().objects.get(username=MERCHANT_LOGIN[0])
    merchant = Merchant.objects.get(memberships__user=user)
    # A known shortfall for the eligibility page: two live sessions in each of the last three
    # complete months, fewer than Source Power asks for.
    first, last = complete_months_window(months=3)
    merchant.metrics.filter(month__range=(first, last)).update(live_sessions=2)
    # seed_demo assesses as of the first of the month; the page shows today's facts, and so
    # does the nightly recompute: assess as of today, as that would.
    eligibility_recompute(merchant_ids=[merchant.pk], as_of=timezone.localdate())
    # Two unread messages, so the badge still shows a number once one is read.
    NotificationFactory(recipient=user, subject="Welcome to the Belt Ops merchant portal")
    notification = NotificationFactory(
        recipient=None, merchant=merchant, subject="Your figures for last month have arrived"
    )
    return Demo(user=user, merchant=merchant, notification=notification, live_sessions_90d=6)


def log_in(page, username: str, password: str, *, path: str = "/portal/login/") -> None:
    """Fill the login form at ``path`` (the portal's or the console's) and submit it."""
    page.goto(path)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in", exact=True).click()


@pytest.fixture
def screenshot(tmp_path):
    """Save a full-page screenshot under tmp_path, and a copy in $BROWSER_SCREENSHOT_DIR."""

    def take(page, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        if keep := os.environ.get(SCREENSHOT_DIR_VARIABLE):
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)
        return path

    return take
