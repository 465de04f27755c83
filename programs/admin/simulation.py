"""A draft rule set's simulation as the console pages it: who would gain, lose and keep
eligibility, each list paged on its own, its merchants loaded in one query for all three."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext

from merchants.models import Merchant

from ..services.eligibility import Simulation

# Merchants listed per page in each of a draft's simulation lists (gain, lose, keep).
SIMULATION_PAGE_SIZE = 50


def simulation_summary(counts: dict[str, int]) -> str:
    """The counts in words: "N merchants would gain eligibility, M would lose it, K ..."."""

    def number(key: str) -> dict[str, str]:
        return {"count": number_format(counts[key], force_grouping=True)}

    return gettext("%(gain)s, %(lose)s, %(keep)s.") % {
        "gain": ngettext(
            "%(count)s merchant would gain eligibility",
            "%(count)s merchants would gain eligibility",
            counts["gain"],
        )
        % number("gain"),
        "lose": ngettext("%(count)s would lose it", "%(count)s would lose it", counts["lose"])
        % number("lose"),
        "keep": ngettext("%(count)s would keep it", "%(count)s would keep it", counts["keep"])
        % number("keep"),
    }


@dataclass(frozen=True, slots=True)
class PageLink:
    label: str
    url: str | None  # None for the current page and for an ellipsis
    current: bool = False


@dataclass(frozen=True, slots=True)
class SimulationList:
    """One page of the merchants who would gain, lose or keep eligibility."""

    key: str  # "gain", "lose" or "keep"; its page is ``?<key>_page=``
    title: str
    count: int
    page: Page
    merchants: list[Merchant]
    links: list[PageLink]


def _page_links(request, key: str, page: Page) -> list[PageLink]:
    if page.paginator.num_pages < 2:
        return []
    query = request.GET.copy()  # the other lists keep their pages
    links = []
    for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1):
        if number == page.number:
            links.append(PageLink(str(number), None, current=True))
        elif number == page.paginator.ELLIPSIS:
            links.append(PageLink(str(number), None))
        else:
            query[f"{key}_page"] = number
            links.append(PageLink(str(number), f"?{query.urlencode()}#simulation-{key}"))
    return links


def simulation_lists(request, simulation: Simulation) -> list[SimulationList]:
    """The current page of each list, its merchants loaded in one query for all three."""
    pages = [
        (key, title, Paginator(ids, SIMULATION_PAGE_SIZE).get_page(request.GET.get(f"{key}_page")))
        for key, title, ids in (
            ("gain", gettext("Would gain eligibility"), simulation.gained),
            ("lose", gettext("Would lose eligibility"), simulation.lost),
            ("keep", gettext("Would keep eligibility"), simulation.kept),
        )
    ]
    merchants = (
        Merchant.objects.select_related("belt")
        .order_by()
        .in_bulk([merchant_id for _key, _title, page in pages for merchant_id in page])
    )
    return [
        SimulationList(
            key=key,
            title=title,
            count=page.paginator.count,
            page=page,
            # A merchant deleted since the simulation ran is left out.
            merchants=[merchants[pk] for pk in page if pk in merchants],
            links=_page_links(request, key, page),
        )
        for key, title, page in pages
    ]
