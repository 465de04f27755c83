"""The atlas map: the vendored outlines decoded, projected and drawn, and the belts' markers."""

import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string

from config.atlas import geo

BEIJING = (116.40, 39.90)
GUANGZHOU = (113.26, 23.13)
URUMQI = (87.62, 43.83)


def _in_ring(point, ring):
    # Even-odd ray casting.
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _in_feature(point, name):
    polygons = dict(geo.decoded_features())[name]
    return any(
        _in_ring(point, rings[0]) and not any(_in_ring(point, hole) for hole in rings[1:])
        for rings in polygons
    )


def _belt(id, *, gmv=None, latitude=30.0, longitude=110.0, tier="standard", name="Belt"):
    return SimpleNamespace(
        id=id,
        slug=f"belt-{id}",
        name=name,
        name_zh="",
        city="City",
        city_zh="",
        latitude=latitude,
        longitude=longitude,
        tier=tier,
        gmv=gmv,
    )


def test_every_province_level_division_is_decoded_with_its_name():
    features = geo.decoded_features()

    assert len(features) == 34
    names = {name for name, _polygons in features}
    assert len(names) == 34
    assert {"北京", "广东", "新疆", "海南", "黑龙江", "台湾", "香港", "澳门"} <= names
    for _name, polygons in features:
        assert polygons
        assert all(len(rings[0]) >= 3 for rings in polygons)


@pytest.mark.parametrize(
    ("point", "name"), [(BEIJING, "北京"), (GUANGZHOU, "广东"), (URUMQI, "新疆")]
)
def test_decoded_outlines_are_where_the_cities_are(point, name):
    assert _in_feature(point, name)
    assert not _in_feature(point, "西藏")


def test_the_projection_puts_the_cities_in_the_box_west_to_east_and_north_to_south():
    box = geo.china_viewbox()
    beijing, guangzhou, urumqi = (geo.project(*city) for city in (BEIJING, GUANGZHOU, URUMQI))

    assert (box.x, box.y, box.width) == (0.0, 0.0, 1000.0)
    assert 700 < box.height < 1000
    for x, y in (beijing, guangzhou, urumqi):
        assert box.contains(x, y)
    assert urumqi[0] < beijing[0]
    assert guangzhou[1] > beijing[1]


def test_the_outlines_fill_the_box_and_stay_small():
    paths = [province.path for province in geo.provinces()]
    numbers = [float(n) for path in paths for n in re.findall(r"-?\d+(?:\.\d)?", path)]
    xs, ys = numbers[0::2], numbers[1::2]

    assert len(paths) == 34
    assert all(paths)
    assert all(re.fullmatch(r"(M[^MZ]+Z)+", path) for path in paths)
    assert min(xs) == pytest.approx(0, abs=0.1)
    assert max(xs) == pytest.approx(1000, abs=0.1)
    assert min(ys) == pytest.approx(0, abs=0.1)
    assert max(ys) == pytest.approx(geo.china_viewbox().height, abs=0.1)
    assert sum(len(path) for path in paths) < 60_000


def test_viewbox_attr_is_rounded():
    assert geo.ViewBox(x=1.04, y=-0.02, width=1000, height=841.149).attr == "1 0 1000 841.1"


def test_viewbox_around_one_point_has_the_minimum_size_and_contains_it():
    box = geo.viewbox_around([GUANGZHOU], min_degrees=0.6, pad=0.15)
    x, y = geo.project(*GUANGZHOU)
    degree = abs(geo.project(113.26, 23.63)[1] - geo.project(113.26, 22.63)[1])

    assert box.contains(x, y)
    assert box.x + box.width / 2 == pytest.approx(x)
    assert box.y + box.height / 2 == pytest.approx(y)
    assert box.width == pytest.approx(0.6 * degree * 1.3, rel=0.02)
    assert box.height == pytest.approx(box.width)


def test_viewbox_around_several_points_contains_them_all_with_room():
    box = geo.viewbox_around([BEIJING, GUANGZHOU])
    beijing, guangzhou = geo.project(*BEIJING), geo.project(*GUANGZHOU)

    assert box.contains(*beijing)
    assert box.contains(*guangzhou)
    assert box.height == pytest.approx((guangzhou[1] - beijing[1]) * 1.3)
    assert geo.viewbox_around([]) == geo.china_viewbox()


def test_marker_radius_grows_with_gmv_within_bounds():
    radii = [geo.marker_radius(gmv, Decimal(1000)) for gmv in (None, 0, 1, 50, 200, 999, 1000)]

    assert radii == sorted(radii)
    assert radii[0] == radii[1] == 5.0
    assert radii[-1] == 22.0
    assert all(5.0 <= r <= 22.0 for r in radii)
    assert geo.marker_radius(Decimal(250), Decimal(1000)) == pytest.approx(11.0)
    assert geo.marker_radius(10, None) == 5.0


def test_belt_markers_skip_belts_without_coordinates_and_put_the_largest_first():
    belts = [
        _belt(1, gmv=Decimal(10)),
        _belt(2, gmv=None, latitude=None),
        _belt(3, gmv=Decimal(1000), latitude=Decimal("39.9"), longitude=Decimal("116.4")),
        _belt(4, gmv=Decimal(200)),
    ]

    markers = geo.belt_markers(
        belts, url_for=lambda belt: f"/belts/{belt.slug}/", highlight_ids={4}
    )

    assert [marker.key for marker in markers] == ["3", "4", "1"]
    assert [marker.r for marker in markers] == sorted((m.r for m in markers), reverse=True)
    assert [marker.highlighted for marker in markers] == [False, True, False]
    assert (markers[0].x, markers[0].y) == pytest.approx(geo.project(116.4, 39.9), abs=0.05)
    assert markers[0].url == "/belts/belt-3/"
    assert markers[0].title == "Belt, City"
    assert markers[0].label == "Belt"


def test_belt_markers_shrink_with_a_closer_viewbox_and_take_a_title():
    box = geo.ViewBox(x=0, y=0, width=100, height=80)

    [marker] = geo.belt_markers(
        [_belt(1, gmv=5)],
        url_for=lambda belt: None,
        highlight_ids=(),
        viewbox=box,
        title_for=lambda belt: "Custom",
    )

    assert marker.r == pytest.approx(2.2)
    assert marker.title == "Custom"
    assert marker.url is None


def test_the_map_renders_a_circle_per_marker_and_links_only_those_with_a_url():
    belts = [
        _belt(1, gmv=100, name="Yiwu <small goods>", tier="ten_billion"),
        _belt(2, gmv=10, tier="growth"),
    ]
    markers = geo.belt_markers(
        belts, url_for=lambda b: "/belts/1/" if b.id == 1 else None, highlight_ids={2}
    )

    html = render_to_string(
        "atlas/_map.html",
        {
            "map": {
                "viewbox": geo.china_viewbox(),
                "provinces": geo.provinces(),
                "markers": markers,
                "label": "Belts <on> the map",
                "id": "atlas-map",
                "city": {"x": 500, "y": 400, "r": 3, "name": "A & B"},
            }
        },
    )

    assert html.count("<circle") == 3  # two markers and the city
    assert html.count('class="atlas-marker ') == 2
    assert html.count("<a href") == 1
    assert '<a href="/belts/1/"><circle class="atlas-marker atlas-marker--ten_billion"' in html
    assert "atlas-marker--growth atlas-marker--highlighted" in html
    assert "<title>Yiwu &lt;small goods&gt;, City</title>" in html
    assert "<small" not in html
    assert 'aria-label="Belts &lt;on&gt; the map"' in html
    assert "<title>A &amp; B</title>" in html
    assert html.count('<path class="atlas-province"') == 34
    assert f'viewBox="{geo.china_viewbox().attr}"' in html
    urls = re.findall(r"https?://[^\"' ]*", html)
    assert urls == ["http://www.w3.org/2000/svg"]
    assert "<script" not in html


@pytest.mark.parametrize("highlight", [True, False])
def test_the_legend_names_each_tier(highlight):
    html = render_to_string("atlas/_legend.html", {"highlight_legend": highlight})

    for tier in ("ten_billion", "growth", "standard"):
        assert f"atlas-marker--{tier}" in html
    assert "Ten-billion belt" in html
    assert "Size: GMV" in html
    assert ("Your belt" in html) is highlight
