"""Staff console for support programs, rule sets, eligibility, cohorts and enrollments.

What the console may not do, it refuses here rather than trusting the services to catch it:
a published or retired rule set is immutable, eligibility is computed, enrollment events are an
append-only audit log, and an enrollment changes state only through the workflow (its guards
keep seats from being overbooked), never by editing the ``state`` field.

One module a page family; importing them registers their admins with the console:

- ``programs``: the programs;
- ``rule_sets``: drafts, their simulation (paged by ``simulation``), publishing and copying;
- ``eligibility``: computed eligibility and its reasons;
- ``cohorts`` and ``enrollments``: intake rounds, enrollments and their history;
- ``review_queue``: applications awaiting a decision, and the decisions;
- ``recompute_runs``: the record of full recomputes, for operators.
"""

from . import (
    cohorts,
    eligibility,
    enrollments,
    programs,
    recompute_runs,
    review_queue,
    rule_sets,
)

__all__ = [
    "cohorts",
    "eligibility",
    "enrollments",
    "programs",
    "recompute_runs",
    "review_queue",
    "rule_sets",
]
