"""The project's URLs plus ``/bench/bare/``: a Django view answering a small JSON object behind
the same middleware, the ceiling the API's lists are compared with."""

from django.http import JsonResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


def bare(request):
    return JsonResponse({"ok": True, "results": []})


urlpatterns = [path("bench/bare/", bare), *project_urlpatterns]
