"""The OpenAPI schema and its Swagger UI: for any authenticated caller, complete, and served
without any CDN or inline script, so the strict CSP holds."""

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from merchants.choices import NotificationKind
from programs.api.serializers import ENROLLMENT_STEPS, step_path
from programs.choices import EnrollmentState
from tests.belts.factories import StaffUserFactory


class AssetCollector(HTMLParser):
    """Collects the URLs a page loads, and any inline script or style it carries."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            if attrs.get("src"):
                self.urls.append(attrs["src"])
            else:
                self._open = "script"
        elif tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])
        elif tag == "style":
            self._open = "style"
        if "style" in attrs:
            self.inline.append(f"style attribute on <{tag}>")

    def handle_data(self, data):
        if self._open and data.strip():
            self.inline.append(f"<{self._open}>{data.strip()[:80]}")

    def handle_endtag(self, tag):
        self._open = None


def test_schema_generates_without_warnings(tmp_path: Path) -> None:
    # The same check as `manage.py spectacular --validate --fail-on-warn` in CI.
    schema = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema))
    text = schema.read_text()
    for path in (
        "/api/v1/belts/",
        "/api/v1/operation-centers/",
        "/api/v1/programs/{id}/",
        "/api/v1/eligibility/",
        "/api/v1/merchants/{merchant_id}/eligibility/",
        "/api/v1/rule-sets/{id}/simulate/",
        "/api/v1/merchants/",
        "/api/v1/merchants/{id}/facts/",
        "/api/v1/metrics/bulk/",
        "/api/v1/notifications/read-all/",
        "/api/v1/notification-preferences/",
        "/api/v1/shipments/",
        "/api/v1/shipments/{shipment_id}/checks/",
        "/api/v1/incidents/{id}/resolve/",
        "/api/v1/providers/",
    ):
        assert f"{path}:" in text


@pytest.mark.django_db
class TestSchemaAndDocsAccess:
    @pytest.mark.parametrize("url_name", ["api:schema", "api:docs"])
    def test_staff_can_read(self, staff_api_client, url_name):
        response = staff_api_client.get(reverse(url_name))
        assert response.status_code == 200

    @pytest.mark.parametrize("url_name", ["api:schema", "api:docs"])
    def test_any_authenticated_caller_reads_and_anonymous_is_refused(
        self, api_client, user_api_client, url_name
    ):
        response = api_client.get(reverse(url_name))
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Api-Key")
        assert user_api_client.get(reverse(url_name)).status_code == 200

    def test_schema_lists_the_endpoints(self, staff_api_client):
        response = staff_api_client.get(reverse("api:schema"), {"format": "json"})
        assert response.status_code == 200
        paths = response.json()["paths"]
        for path in (
            "/api/v1/cities/",
            "/api/v1/categories/",
            "/api/v1/belts/",
            "/api/v1/operation-centers/",
            "/api/v1/belt-year-stats/",
            "/api/v1/programs/",
        ):
            assert path in paths
            assert set(paths[path]) == {"get"}, path
        for path, methods in {
            "/api/v1/eligibility/": {"get"},
            "/api/v1/eligibility/{id}/": {"get"},
            "/api/v1/merchants/{merchant_id}/eligibility/": {"get"},
            "/api/v1/rule-sets/": {"get", "post"},
            "/api/v1/rule-sets/{id}/": {"get", "put", "patch", "delete"},
            "/api/v1/rule-sets/{id}/publish/": {"post"},
            "/api/v1/rule-sets/{id}/simulate/": {"post"},
            "/api/v1/merchants/": {"get"},
            "/api/v1/merchants/{id}/": {"get"},
            "/api/v1/merchants/{id}/facts/": {"get"},
            "/api/v1/metrics/": {"get"},
            "/api/v1/metrics/bulk/": {"post"},
            "/api/v1/notifications/": {"get"},
            "/api/v1/notifications/{id}/": {"get"},
            "/api/v1/notifications/{id}/read/": {"post"},
            "/api/v1/notifications/read-all/": {"post"},
            "/api/v1/notification-preferences/": {"get", "put", "patch"},
            "/api/v1/providers/": {"get"},
            "/api/v1/providers/{id}/": {"get"},
            "/api/v1/shipments/": {"get", "post"},
            "/api/v1/shipments/{id}/": {"get"},
            "/api/v1/shipments/{shipment_id}/checks/": {"get", "post"},
            "/api/v1/shipments/{shipment_id}/checks/{index}/": {"get", "patch"},
            "/api/v1/incidents/": {"get", "post"},
            "/api/v1/incidents/{id}/": {"get"},
            "/api/v1/incidents/{id}/resolve/": {"post"},
        }.items():
            assert set(paths[path]) == methods, path

    def test_schema_documents_the_domain_error_shape(self, staff_api_client):
        schema = staff_api_client.get(reverse("api:schema"), {"format": "json"}).json()
        error = schema["components"]["schemas"]["DomainErrorDetail"]
        assert set(error["properties"]) == {"code", "message", "field", "details"}
        patch = schema["paths"]["/api/v1/rule-sets/{id}/"]["patch"]["responses"]
        assert patch["409"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/DomainError"
        }
        simulation = schema["components"]["schemas"]["Simulation"]["properties"]
        assert {"counts", "gain", "lose", "keep", "page", "page_size", "num_pages"} <= set(
            simulation
        )


@pytest.mark.django_db
def test_docs_page_and_every_asset_load_from_the_project_under_the_csp(settings):
    # Serve static files through WhiteNoise straight from the finders, as `runserver` would,
    # so the sidecar's Swagger UI files are fetched by the same stack as in production.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    client = Client()
    client.force_login(StaffUserFactory())

    response = client.get(reverse("api:docs"))

    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    page = AssetCollector()
    page.feed(response.content.decode())
    assert page.inline == []
    assert len(page.urls) >= 6  # favicon, 2 style sheets, 2 bundles, the init script
    for url in page.urls:
        assert url.startswith("/"), f"{url} is not served by the project"
        asset = client.get(url)
        assert asset.status_code == 200, url
        if url.partition("?")[0].endswith(".js") or "?script" in url:
            assert asset["Content-Type"].startswith(
                ("application/javascript", "text/javascript")
            ), url
    init_script = next(url for url in page.urls if url.startswith(reverse("api:docs")))
    assert reverse("api:schema") in client.get(init_script).content.decode()


@pytest.mark.django_db
def test_api_root_lists_every_endpoint(user_api_client):
    response = user_api_client.get(reverse("api:api-root"))
    assert response.status_code == 200
    assert set(response.data) == {
        "cities",
        "categories",
        "belts",
        "operation-centers",
        "belt-year-stats",
        "programs",
        "rule-sets",
        "eligibility",
        "enrollments",
        "webhooks",
        "merchants",
        "metrics",
        "notifications",
        "providers",
        "shipments",
        "incidents",
    }


@pytest.mark.django_db
def test_schema_types_the_merchants_enums_and_the_bulk_answers(staff_api_client):
    schema = staff_api_client.get(reverse("api:schema"), {"format": "json"}).json()
    components = schema["components"]["schemas"]
    assert components["NotificationKindEnum"]["enum"] == [kind.value for kind in NotificationKind]
    assert "ping" in components["NotificationKindEnum"]["enum"]
    for name in ("MerchantTypeEnum", "BrandStageEnum", "MerchantStatusEnum", "BeltTierEnum"):
        assert components[name]["enum"], name
    merchant = components["Merchant"]["properties"]
    assert merchant["status"]["allOf"] == [{"$ref": "#/components/schemas/MerchantStatusEnum"}]
    bulk = schema["paths"]["/api/v1/metrics/bulk/"]["post"]
    assert {"200", "400", "401", "403", "409", "413", "422", "429"} <= set(bulk["responses"])
    refused = bulk["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    detail = components[
        components[refused.rsplit("/", 1)[1]]["properties"]["error"]["$ref"].rsplit("/", 1)[1]
    ]
    assert {"code", "message", "field", "details"} <= set(detail["properties"])
    assert {"name": "Idempotency-Key", "in": "header"}.items() <= bulk["parameters"][0].items()
    for path in ("/api/v1/merchants/", "/api/v1/metrics/", "/api/v1/notifications/"):
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"cursor", "page_size"} <= names, path
        assert "page" not in names, path


@pytest.mark.django_db
def test_schema_types_the_enrollment_states_and_steps(staff_api_client):
    schema = staff_api_client.get(reverse("api:schema"), {"format": "json"}).json()
    components = schema["components"]["schemas"]
    assert components["EnrollmentStateEnum"]["enum"] == EnrollmentState.values
    assert components["EnrollmentStepEnum"]["enum"] == [step_path(s) for s in ENROLLMENT_STEPS]
    steps = components["Enrollment"]["properties"]["available_steps"]
    assert steps["items"] == {"$ref": "#/components/schemas/EnrollmentStepEnum"}


@pytest.mark.django_db
def test_schema_describes_the_logistics_bodies(staff_api_client):
    schema = staff_api_client.get(reverse("api:schema"), {"format": "json"}).json()
    components = schema["components"]["schemas"]
    record = schema["paths"]["/api/v1/shipments/{shipment_id}/checks/"]["post"]
    content = record["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(content)
    multipart = components[content["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]]
    photos = multipart["properties"]["photos"]
    assert photos["type"] == "array"
    assert photos["items"] == {"type": "string", "format": "binary"}
    json_body = components[content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert "photos" not in json_body["properties"]
    assert {"201", "400", "401", "403", "404", "413"} <= set(record["responses"])
    assert components["ConditionEnum"]["enum"] == [
        "intact",
        "damaged",
        "missing_parts",
        "not_checked",
    ]
    incident = components["Incident"]["properties"]
    assert incident["attribution"]["allOf"] == [{"$ref": "#/components/schemas/Attribution"}]
    assert "text" in components["Attribution"]["properties"]
    created = schema["paths"]["/api/v1/shipments/"]["post"]
    legs = components[
        created["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    ]["properties"]["legs"]
    assert legs["type"] == "array"
