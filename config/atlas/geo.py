"""China's provinces and the belts on them, as SVG drawn by the server.

The outlines are echarts 4.9.0's ``map/json/china.json`` (see ``static/vendor/README.md``),
decoded once, projected with an Albers equal-area conic and simplified, so a page carries a map of
some tens of kilobytes with no script. Projected units: x in [0, 1000] across the country, y grows
downward, as the SVG viewBox wants them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.utils.translation import gettext

from core.language import localized_name

GEOJSON_PATH = Path("static/vendor/china-geojson/china.json")

# Albers equal-area conic for China: standard parallels 25N and 47N, central meridian 105E.
_PARALLEL_1 = math.radians(25.0)
_PARALLEL_2 = math.radians(47.0)
_MERIDIAN = math.radians(105.0)
_N = (math.sin(_PARALLEL_1) + math.sin(_PARALLEL_2)) / 2
_C = math.cos(_PARALLEL_1) ** 2 + 2 * _N * math.sin(_PARALLEL_1)

MAP_WIDTH = 1000.0
# Points closer than this to the simplified line (in projected units) are dropped.
SIMPLIFY_TOLERANCE = 1.0
MARKER_MIN_RADIUS = 5.0
MARKER_MAX_RADIUS = 22.0

Ring = list[tuple[float, float]]


@dataclass(frozen=True, slots=True)
class ViewBox:
    x: float
    y: float
    width: float
    height: float

    @property
    def attr(self) -> str:
        """The value of an ``<svg viewBox>`` attribute."""
        return " ".join(_fmt(value) for value in (self.x, self.y, self.width, self.height))

    def contains(self, x: float, y: float) -> bool:
        return self.x <= x <= self.x + self.width and self.y <= y <= self.y + self.height


@dataclass(frozen=True, slots=True)
class Province:
    name: str
    path: str  # SVG path data, in projected units


@dataclass(frozen=True, slots=True)
class Marker:
    key: str
    x: float
    y: float
    r: float
    tier: str
    label: str
    title: str
    url: str | None
    highlighted: bool = False
    css: str = ""


class MappedBelt(Protocol):
    """What a belt marker reads (``belts.selectors.AtlasBelt`` has it): read-only attributes."""

    @property
    def id(self) -> int: ...
    @property
    def slug(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def name_zh(self) -> str: ...
    @property
    def city(self) -> str: ...
    @property
    def city_zh(self) -> str: ...
    @property
    def latitude(self) -> Decimal | float | None: ...
    @property
    def longitude(self) -> Decimal | float | None: ...
    @property
    def tier(self) -> str: ...
    @property
    def gmv(self) -> Decimal | float | int | None: ...


B = TypeVar("B", bound=MappedBelt)


def _fmt(value: float) -> str:
    text = f"{round(value, 1):.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


# --- the vendored file -------------------------------------------------------------------------


def _decode_ring(encoded: str, offsets: Sequence[int], scale: float) -> Ring:
    # echarts' decodePolygon (src/coord/geo/parseGeoJson.js): zigzag-encoded deltas, one
    # character per coordinate, offset by 64.
    prev_x, prev_y = offsets[0], offsets[1]
    ring: Ring = []
    for i in range(0, len(encoded) - 1, 2):
        x = ord(encoded[i]) - 64
        y = ord(encoded[i + 1]) - 64
        prev_x += (x >> 1) ^ -(x & 1)
        prev_y += (y >> 1) ^ -(y & 1)
        ring.append((prev_x / scale, prev_y / scale))
    return ring


def _decode_geometry(geometry: dict[str, Any], scale: float) -> list[list[Ring]]:
    """A geometry as polygons of rings of (longitude, latitude), whether it was encoded or not."""
    coordinates = geometry["coordinates"]
    offsets: list[Any] = geometry.get("encodeOffsets") or []
    polygons = [coordinates] if geometry["type"] == "Polygon" else coordinates
    if geometry["type"] == "Polygon":
        offsets = [offsets]
    decoded: list[list[Ring]] = []
    for p, polygon in enumerate(polygons):
        rings: list[Ring] = []
        for r, ring in enumerate(polygon):
            if isinstance(ring, str):
                rings.append(_decode_ring(ring, offsets[p][r], scale))
            else:
                rings.append([(float(lon), float(lat)) for lon, lat, *_ in ring])
        decoded.append(rings)
    return decoded


@cache
def decoded_features() -> tuple[tuple[str, tuple[tuple[Ring, ...], ...]], ...]:
    """Each province's name and polygons (rings of longitude, latitude), as the file has them."""
    data = json.loads((Path(settings.BASE_DIR) / GEOJSON_PATH).read_text(encoding="utf-8"))
    scale = float(data.get("UTF8Scale") or 1024) if data.get("UTF8Encoding") else 1.0
    features = []
    for feature in data["features"]:
        geometry = feature.get("geometry")
        if not geometry or not geometry.get("coordinates"):
            continue
        polygons = _decode_geometry(geometry, scale)
        features.append((feature["properties"]["name"], tuple(tuple(rings) for rings in polygons)))
    return tuple(features)


# --- projection --------------------------------------------------------------------------------


def _albers(longitude: float, latitude: float) -> tuple[float, float]:
    """Albers x and y (north up), on the unit sphere."""
    rho = math.sqrt(max(_C - 2 * _N * math.sin(math.radians(latitude)), 0.0)) / _N
    theta = _N * (math.radians(longitude) - _MERIDIAN)
    return rho * math.sin(theta), -rho * math.cos(theta)


@cache
def _frame() -> tuple[float, float, float, float]:
    """Left, top, scale and height that put the whole country in x [0, 1000], y from 0 down."""
    points = [
        _albers(lon, lat)
        for _name, polygons in decoded_features()
        for rings in polygons
        for ring in rings
        for lon, lat in ring
    ]
    left = min(x for x, _ in points)
    right = max(x for x, _ in points)
    top = max(y for _, y in points)
    bottom = min(y for _, y in points)
    scale = MAP_WIDTH / (right - left)
    return left, top, scale, (top - bottom) * scale


def project(longitude: float, latitude: float) -> tuple[float, float]:
    """Map units for a longitude and latitude: x in [0, 1000] across China, y growing down."""
    left, top, scale, _height = _frame()
    x, y = _albers(float(longitude), float(latitude))
    return (x - left) * scale, (top - y) * scale


# --- outlines ----------------------------------------------------------------------------------


def _simplify(points: Ring, tolerance: float) -> Ring:
    """Douglas-Peucker, iterative (rings of some thousand points would recurse deeply)."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        dx, dy = bx - ax, by - ay
        length = math.hypot(dx, dy)
        farthest, distance = 0, 0.0
        for i in range(first + 1, last):
            px, py = points[i]
            if length:
                d = abs(dy * (px - ax) - dx * (py - ay)) / length
            else:
                d = math.hypot(px - ax, py - ay)
            if d > distance:
                farthest, distance = i, d
        if distance > tolerance:
            keep[farthest] = True
            stack.append((first, farthest))
            stack.append((farthest, last))
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def _ring_path(ring: Ring, tolerance: float) -> str:
    projected = [project(lon, lat) for lon, lat in ring]
    if len(projected) > 1 and projected[0] == projected[-1]:
        projected.pop()
    if not projected:
        return ""
    # Split a closed ring at its farthest point, so neither half's chord degenerates.
    start = projected[0]
    far = max(range(len(projected)), key=lambda i: math.dist(start, projected[i]))
    simplified = (
        _simplify(projected[: far + 1], tolerance)[:-1]
        + _simplify([*projected[far:], start], tolerance)[:-1]
    )
    rounded: list[str] = []
    for x, y in simplified:
        point = f"{_fmt(x)} {_fmt(y)}"
        if not rounded or rounded[-1] != point:
            rounded.append(point)
    if len(rounded) < 3:
        return ""
    return "M" + "L".join(rounded) + "Z"


def _province_path(polygons: Iterable[Iterable[Ring]], tolerance: float) -> str:
    return "".join(_ring_path(ring, tolerance) for rings in polygons for ring in rings)


@cache
def provinces() -> tuple[Province, ...]:
    """Every province-level division's outline, simplified to about a unit of the map."""
    result = []
    for name, polygons in decoded_features():
        path = _province_path(polygons, SIMPLIFY_TOLERANCE)
        if not path:
            # Macau is smaller than the tolerance: drawn at full detail rather than not at all.
            path = _province_path(polygons, 0.0)
        result.append(Province(name=name, path=path))
    return tuple(result)


def china_viewbox() -> ViewBox:
    """The box around all the provinces."""
    return ViewBox(x=0.0, y=0.0, width=MAP_WIDTH, height=_frame()[3])


def _units_per_degree(longitude: float, latitude: float) -> float:
    """Map units per degree of latitude there (Albers keeps areas, so near enough both ways)."""
    north = project(longitude, latitude + 0.5)
    south = project(longitude, latitude - 0.5)
    return math.dist(north, south)


def viewbox_around(
    points: list[tuple[float, float]], *, min_degrees: float = 0.6, pad: float = 0.15
) -> ViewBox:
    """A box around (longitude, latitude) points: at least ``min_degrees`` each way, padded by
    ``pad`` of its size on each side. No points: the whole country."""
    if not points:
        return china_viewbox()
    projected = [project(lon, lat) for lon, lat in points]
    left = min(x for x, _ in projected)
    right = max(x for x, _ in projected)
    top = min(y for _, y in projected)
    bottom = max(y for _, y in projected)
    centre_lon = sum(float(lon) for lon, _ in points) / len(points)
    centre_lat = sum(float(lat) for _, lat in points) / len(points)
    minimum = min_degrees * _units_per_degree(centre_lon, centre_lat)
    width = max(right - left, minimum)
    height = max(bottom - top, minimum)
    x = (left + right - width) / 2 - pad * width
    y = (top + bottom - height) / 2 - pad * height
    return ViewBox(x=x, y=y, width=width * (1 + 2 * pad), height=height * (1 + 2 * pad))


# --- belts -------------------------------------------------------------------------------------


def marker_radius(
    gmv: Decimal | float | int | None, largest: Decimal | float | int | None
) -> float:
    """5 to 22 map units, the area in proportion to GMV (radius to its square root)."""
    if not gmv or not largest or gmv <= 0 or largest <= 0:
        return MARKER_MIN_RADIUS
    share = min(float(gmv) / float(largest), 1.0)
    return max(MARKER_MIN_RADIUS, MARKER_MAX_RADIUS * math.sqrt(share))


def belt_title(belt: MappedBelt) -> str:
    """The belt and its city, in the active language."""
    name = localized_name(belt.name, belt.name_zh)
    city = localized_name(belt.city, belt.city_zh)
    if not city:
        return name
    return gettext("%(belt)s, %(city)s") % {"belt": name, "city": city}


def belt_markers(
    belts: Iterable[B],
    *,
    url_for: Callable[[B], str | None],
    highlight_ids: Collection[int],
    viewbox: ViewBox | None = None,
    title_for: Callable[[B], str] | None = None,
) -> list[Marker]:
    """A marker per belt that has coordinates, largest first so small ones are drawn on top.

    Radii are sized for the whole country; given a closer ``viewbox`` they shrink with it, so a
    marker covers as much of the drawn map whatever the zoom.
    """
    located = [
        (belt, float(belt.longitude), float(belt.latitude))
        for belt in belts
        if belt.latitude is not None and belt.longitude is not None
    ]
    largest = max((belt.gmv for belt, _lon, _lat in located if belt.gmv), default=None)
    zoom = viewbox.width / MAP_WIDTH if viewbox is not None else 1.0
    title = title_for or belt_title
    markers = []
    for belt, longitude, latitude in located:
        x, y = project(longitude, latitude)
        markers.append(
            Marker(
                key=str(belt.id),
                x=round(x, 1),
                y=round(y, 1),
                r=round(marker_radius(belt.gmv, largest) * zoom, 2),
                tier=belt.tier,
                label=localized_name(belt.name, belt.name_zh),
                title=title(belt),
                url=url_for(belt),
                highlighted=belt.id in highlight_ids,
            )
        )
    markers.sort(key=lambda marker: -marker.r)
    return markers
