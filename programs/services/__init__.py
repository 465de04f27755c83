"""The programs app's writes, one module per subject: ``eligibility`` (rule sets, simulation,
the recompute) and ``enrollments`` (the application workflow). Callers import the module they
mean, so a name has one path."""
