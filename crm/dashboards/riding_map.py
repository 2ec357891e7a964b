"""Ontario's ridings as SVG paths, drawn server-side from the shipped GeoJSON (no tile server, no JS).

Longitude/latitude are projected equirectangularly with longitude scaled by cos(mean latitude),
which is close enough at Ontario's size. The projected paths are computed once per process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache, lru_cache

from crm.reference import shipped

GEOJSON = "ontario_electoral_districts_2015_simplified.geojson"
# Legislatures whose district boundaries ship with the product; other dashboards show the table.
SHIPPED_BOUNDARIES = {"ON"}
WIDTH = 1000  # user units of the whole-province map
# The Greater Toronto and Hamilton Area, where most ridings are too small to see on the province
# map.
INSET_BOUNDS = (-80.1, 43.2, -78.8, 44.1)  # west, south, east, north
INSET_DECIMALS = 1
# Shading classes: (lowest letter count, CSS class, legend label); the first whose lowest is reached
# wins.
CLASS_NAMES = ("map-c0", "map-c1", "map-c2", "map-c3", "map-c4")


@dataclass(frozen=True)
class RidingShape:
    name: str
    path: str  # SVG path data in the projected coordinates
    bounds: tuple[float, float, float, float]  # lon/lat: west, south, east, north


@dataclass(frozen=True)
class Projection:
    west: float
    north: float
    scale: float
    cos_lat: float

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.west) * self.cos_lat * self.scale, (self.north - lat) * self.scale


@lru_cache(maxsize=1)
def _features() -> list[dict]:
    return shipped.items(GEOJSON)


def _rings(geometry: dict):
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    for polygon in polygons:
        yield from polygon


@lru_cache(maxsize=1)
def projection() -> Projection:
    lons, lats = [], []
    for feature in _features():
        for ring in _rings(feature["geometry"]):
            lons.extend(p[0] for p in ring)
            lats.extend(p[1] for p in ring)
    cos_lat = math.cos(math.radians((min(lats) + max(lats)) / 2))
    scale = WIDTH / ((max(lons) - min(lons)) * cos_lat)
    return Projection(west=min(lons), north=max(lats), scale=scale, cos_lat=cos_lat)


@cache  # one entry per precision used (two)
def shapes(decimals: int = 0) -> tuple[RidingShape, ...]:
    """Every riding's projected path, rounded (points that round together are dropped).

    The province map needs whole units; the inset zooms in about sixteenfold, so it takes more decimals.
    """
    proj = projection()
    result = []
    for feature in _features():
        parts, lons, lats = [], [], []
        for ring in _rings(feature["geometry"]):
            points, last = [], None
            for lon, lat in ring:
                lons.append(lon)
                lats.append(lat)
                x, y = proj.point(lon, lat)
                point = f"{x:.{decimals}f} {y:.{decimals}f}"
                if point != last:
                    points.append(point)
                    last = point
            if len(points) >= 3:
                parts.append("M" + "L".join(points) + "Z")
        result.append(
            RidingShape(
                name=feature["properties"]["name"],
                path="".join(parts),
                bounds=(min(lons), min(lats), max(lons), max(lats)),
            )
        )
    return tuple(result)


def view_box(bounds: tuple[float, float, float, float] | None = None) -> str:
    """The SVG viewBox of the whole province, or of a lon/lat box."""
    proj = projection()
    if bounds is None:
        x0, y0 = 0.0, 0.0
        x1 = max(proj.point(s.bounds[2], s.bounds[1])[0] for s in shapes(0))
        y1 = max(proj.point(s.bounds[2], s.bounds[1])[1] for s in shapes(0))
    else:
        x0, y0 = proj.point(bounds[0], bounds[3])
        x1, y1 = proj.point(bounds[2], bounds[1])
    return f"{x0:.1f} {y0:.1f} {x1 - x0:.1f} {y1 - y0:.1f}"


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def shading_classes(counts: list[int]) -> list[tuple[int, int, str]]:
    """Up to five classes (from, to, CSS class): "no letters", then the quartiles of the ridings with letters.

    Quartiles, not equal steps, so one riding with many letters does not wash out all the others.
    """
    ordered = sorted(count for count in counts if count > 0)
    classes = [(0, 0, CLASS_NAMES[0])]
    if not ordered:
        return classes
    edges = sorted({ordered[min(len(ordered) - 1, len(ordered) * i // 4)] for i in range(4)})
    for index, low in enumerate(edges):
        high = edges[index + 1] - 1 if index + 1 < len(edges) else ordered[-1]
        classes.append((low, high, CLASS_NAMES[len(CLASS_NAMES) - len(edges) + index]))  # the top is always darkest
    return classes


def class_for(count: int, classes: list[tuple[int, int | None, str]]) -> str:
    for low, _high, name in reversed(classes):
        if count >= low:
            return name
    return CLASS_NAMES[0]


@dataclass
class MapRiding:
    name: str
    path: str
    count: int
    css_class: str


def map_data(counts_by_name: dict[str, int]) -> dict:
    """What the map template needs: ridings with their class, the legend, both viewBoxes, the inset's ridings."""
    classes = shading_classes(list(counts_by_name.values()))

    def riding(shape: RidingShape) -> MapRiding:
        count = counts_by_name.get(shape.name, 0)
        return MapRiding(shape.name, shape.path, count, class_for(count, classes))

    ridings = [riding(shape) for shape in shapes(0)]
    inset = [riding(shape) for shape in shapes(INSET_DECIMALS) if _overlaps(shape.bounds, INSET_BOUNDS)]
    return {
        "ridings": ridings,
        "inset": inset,
        "legend": classes,
        "view_box": view_box(),
        "inset_view_box": view_box(INSET_BOUNDS),
    }
