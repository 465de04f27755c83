from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config import views
from config.api_errors import bad_request, server_error
from config.health import health

# Under /api/ even a request refused before any view is answered in the API's JSON error shape.
handler400 = bad_request
handler500 = server_error

urlpatterns = [
    # The console: admin.site is config.console.ConsoleSite (config.apps.ConsoleAdminConfig).
    path("console/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Load balancers and monitors; exempt from the HTTPS redirect in production settings.
    path("health/", health, name="health"),
    path("", views.landing, name="landing"),
    path("favicon.ico", views.favicon, name="favicon"),
]

# The merchant portal: server-rendered pages. Each app mounts its own pages under /portal/.
portal_patterns = [
    path("", views.portal_home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html",
            redirect_authenticated_user=True,
            next_page="portal:home",
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="portal:login"), name="logout"),
]
urlpatterns += [
    path("api/v1/", include("config.api_router")),
    path("portal/", include((portal_patterns, "portal"))),
    path("portal/", include("merchants.urls")),
    path("portal/", include("programs.urls")),
    path("portal/", include("logistics.urls")),
]

# Uploaded files (hand-over photos) in development (`make run`); in production the storage
# backend or the web server in front serves MEDIA_URL.
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
