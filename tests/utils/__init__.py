"""What tests of every package share: query-count assertions (``queries``), months relative to
today (``months``) and waiting on a condition with a deadline (``waiting``)."""
