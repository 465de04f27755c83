"""Django's zh_Hans formats, with numbers grouped by thousands with a comma, as Chinese business
software shows figures (1,055,500); amounts in prose use 万 and 亿 (core.money)."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
