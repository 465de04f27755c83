from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path, reverse_lazy

from config import views
from config.api_errors import bad_request, server_error
from config.atlas import views as atlas_views
from config.health import health
from config.metrics import metrics_view

# Under /api/ even a request refused before any view is answered in the API's JSON error shape.
handler400 = bad_request
handler500 = server_error

urlpatterns = [
    # The console: admin.site is config.console.ConsoleSite (config.apps.ConsoleAdminConfig).
    path("console/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Load balancers and monitors; exempt from the HTTPS redirect in production settings.
    path("health/", health, name="health"),
    path("metrics/", metrics_view, name="metrics"),
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
    # Password change and reset by e-mail, in the portal's look. The templates are named
    # registration/portal_*: the console's own password change uses Django's default names.
    path(
        "password/change/",
        login_required(
            auth_views.PasswordChangeView.as_view(
                template_name="registration/portal_password_change_form.html",
                success_url=reverse_lazy("portal:password-change-done"),
            ),
            login_url="portal:login",
        ),
        name="password-change",
    ),
    path(
        "password/change/done/",
        login_required(
            auth_views.PasswordChangeDoneView.as_view(
                template_name="registration/portal_password_change_done.html"
            ),
            login_url="portal:login",
        ),
        name="password-change-done",
    ),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            template_name="registration/portal_password_reset_form.html",
            email_template_name="registration/portal_password_reset_email.txt",
            subject_template_name="registration/portal_password_reset_subject.txt",
            success_url=reverse_lazy("portal:password-reset-done"),
        ),
        name="password-reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="registration/portal_password_reset_done.html"
        ),
        name="password-reset-done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/portal_password_reset_confirm.html",
            success_url=reverse_lazy("portal:password-reset-complete"),
        ),
        name="password-reset-confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/portal_password_reset_complete.html"
        ),
        name="password-reset-complete",
    ),
    # The belt atlas: the map of every belt, and each belt's page.
    path("atlas/", atlas_views.portal_atlas, name="atlas"),
    path("atlas/<slug:slug>/", atlas_views.portal_atlas_belt, name="atlas-belt"),
]
urlpatterns += [
    path("api/v1/", include("config.api_router")),
    path("portal/", include((portal_patterns, "portal"))),
    path("portal/", include("merchants.urls")),
    path("portal/", include("programs.urls")),
    path("portal/", include("logistics.urls")),
]

# Uploaded files (hand-over photos) are never served from MEDIA_URL: the portal's and the API's
# photo views answer them after the reader's scope (logistics.photo_files).
