"""The API's Swagger UI in Chromium, for staff: served by the project (no CDN), within the CSP.

The ``page`` fixture fails the test on a CSP violation, a script error, a static asset that does
not answer 200 or a request that leaves this machine.
"""

from django.urls import reverse

from tests.browser.conftest import STAFF_LOGIN, log_in


def test_swagger_ui_lists_the_operations_for_staff(page, page_log, demo):
    log_in(page, *STAFF_LOGIN, path=reverse("admin:login"))
    assert page.url.endswith(reverse("admin:index"))

    page.goto(reverse("api:docs"))

    operations = page.locator(".swagger-ui .opblock")
    operations.first.wait_for()
    assert operations.count() > 10
    assert page.locator(".swagger-ui .opblock-tag", has_text="rule-sets").count() == 1
    assert page.get_by_text("/api/v1/rule-sets/{id}/simulate/", exact=True).count() == 1
    served = {url.rsplit("/", 1)[-1] for url in page_log.static_ok}
    assert {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-page.css"} <= served
