"""Staff console for delivery and installation. One module a page family; importing them
registers their admins with the console:

- ``shipments``: the shipments with their flags, each one's timeline page and the steps taken
  from it (recording and correcting hand-overs, reporting and resolving incidents);
- ``incidents``: the incidents with their attribution and resolution;
- ``chain``: legs, hand-overs, their photos and SLA breaches, read-only;
- ``providers``: providers, the users they act through, and the scorecards page
  (``scorecards``).

Every write goes through ``logistics.services``; the console never edits a row the services
own (a leg's times, a hand-over, an attribution, a resolution).
"""

from . import chain, incidents, providers, shipments

__all__ = ["chain", "incidents", "providers", "shipments"]
