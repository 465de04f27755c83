"""Writes of the logistics app, one module per subject: ``shipments`` (a shipment and its legs),
``handovers`` (the chain of custody), ``incidents`` (report, attribution, resolution) and ``sla``
(breaches). Callers import the module they mean."""
