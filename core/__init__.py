"""What every app shares and no app owns: domain errors, the active language, months, money and
rates as people read them. No models, and no import of a project app (``docs/architecture.md``)."""
