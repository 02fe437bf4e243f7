#!/usr/bin/env python3
"""Reads palabre's /challenges.geojson with an independent GeoJSON reader (the `geojson` package)
and checks the RFC 7946 rules a writer must follow. Usage: check_geojson.py URL [MIN_FEATURES]."""
import json
import sys
import urllib.request

import geojson


def fail(message):
    print(f"GeoJSON check failed: {message}")
    sys.exit(1)


def signed_area(ring):
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:]))


def check_position(p, where):
    if not (isinstance(p, list) and 2 <= len(p) <= 3 and all(isinstance(c, (int, float)) for c in p)):
        fail(f"{where}: a position is [lon, lat(, alt)], got {p!r}")
    if not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90):
        fail(f"{where}: {p!r} is outside WGS 84 longitude/latitude")


def check_ring(ring, exterior, where):
    if len(ring) < 4 or ring[0] != ring[-1]:
        fail(f"{where}: a linear ring is closed with at least 4 positions")
    for p in ring:
        check_position(p, where)
    area = signed_area(ring)
    if exterior and area < 0 or not exterior and area > 0:
        fail(f"{where}: rings follow the right-hand rule (RFC 7946 section 3.1.6)")


def check_geometry(g, where):
    kind, coords = g.get("type"), g.get("coordinates")
    if kind == "Point":
        check_position(coords, where)
    elif kind == "LineString":
        if len(coords) < 2:
            fail(f"{where}: a LineString has 2 positions or more")
        for p in coords:
            check_position(p, where)
    elif kind == "Polygon":
        for i, ring in enumerate(coords):
            check_ring(ring, i == 0, where)
    elif kind == "MultiPolygon":
        for polygon in coords:
            for i, ring in enumerate(polygon):
                check_ring(ring, i == 0, where)
    else:
        fail(f"{where}: unexpected geometry type {kind!r}")


def main():
    url = sys.argv[1]
    minimum = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    with urllib.request.urlopen(url) as resp:
        ctype = resp.headers.get("Content-Type", "")
        text = resp.read().decode("utf-8")
    if not ctype.startswith("application/geo+json"):
        fail(f"Content-Type is {ctype!r}, not application/geo+json")
    fc = geojson.loads(text)
    if not isinstance(fc, geojson.FeatureCollection):
        fail(f"not a FeatureCollection: {type(fc).__name__}")
    if not fc.is_valid:
        fail(f"the geojson reader finds it invalid: {fc.errors()}")
    raw = json.loads(text)
    if "crs" in raw:
        fail("RFC 7946 has no crs member")
    features = raw["features"]
    if len(features) < minimum:
        fail(f"{len(features)} features, expected at least {minimum}")
    xs, ys = [], []
    for f in features:
        where = f"feature {f.get('id')}"
        if f.get("type") != "Feature" or not isinstance(f.get("id"), (str, int)):
            fail(f"{where}: a Feature with an id")
        if not isinstance(f.get("properties"), dict) or "title" not in f["properties"]:
            fail(f"{where}: properties carry the list fields")
        check_geometry(f["geometry"], where)
        for p in geojson.utils.coords(geojson.loads(json.dumps(f["geometry"]))):
            xs.append(p[0])
            ys.append(p[1])
    bbox = raw.get("bbox")
    if features:
        if not (isinstance(bbox, list) and len(bbox) == 4):
            fail(f"bbox is [minlon, minlat, maxlon, maxlat], got {bbox!r}")
        if not (bbox[0] <= min(xs) and bbox[1] <= min(ys) and bbox[2] >= max(xs) and bbox[3] >= max(ys)):
            fail(f"bbox {bbox} does not hold every position")
    print(f"GeoJSON check passed: {len(features)} features read by geojson {geojson.__version__}")


if __name__ == "__main__":
    main()
