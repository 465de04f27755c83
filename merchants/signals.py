"""Domain events that apps further up the stack react to, so this app never imports them.

``metrics_changed`` is sent after the commit that changed merchants' monthly metrics, with
``merchant_ids``; the programs app recomputes those merchants' eligibility.
"""

from django.dispatch import Signal

metrics_changed = Signal()
