"""Read-only API of the programs app: thin callers of its selectors and FilterSets."""

from rest_framework import viewsets

from programs import selectors
from programs.filtersets import ProgramFilterSet

from .serializers import ProgramSerializer


class ProgramViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ProgramSerializer
    filterset_class = ProgramFilterSet

    def get_queryset(self):
        return selectors.program_list()
