"""Demo data for Belt Ops: the reference tables (``data``) and the builder that writes them and a
deterministic population of merchants into the database (``builder``). Used by ``seed_demo``."""
