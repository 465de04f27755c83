"""The merchants app's writes, one module per subject: ``metrics`` (monthly figures, belt
figures and tiers, preferences) and ``notifications`` (the outbox: drafts, payloads, delivery)."""
