"""What each process of the bench's parallel run does (importable, so ``spawn`` can find it)."""

import datetime
import os
import resource


def setup(url: str) -> None:
    from bench.__main__ import setup_django  # noqa: PLC0415 (bench.__main__ imports this module)

    setup_django(url)


def ready(_index: int) -> int:
    return os.getpid()


def chunk(id_range: tuple[int, int | None], as_of: str) -> dict[str, int]:
    from programs.services.eligibility import eligibility_recompute_range  # noqa: PLC0415 (after django.setup())

    stats = eligibility_recompute_range(id_range=id_range, as_of=datetime.date.fromisoformat(as_of))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {**stats.as_dict(), "rss_mb": round(rss_mb, 1)}
