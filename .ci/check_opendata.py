#!/usr/bin/env python3
"""Reads palabre's open data with independent tools, against a server holding the demo content:
the DCAT-AP catalogue expanded as JSON-LD by pyld (its context is inline: nothing is fetched), each
CSV distribution with Python's strict csv reader, the GeoJSON with the `geojson` package.
Usage: check_opendata.py BASE_URL (e.g. http://127.0.0.1:8080/api/v1)."""
import csv
import io
import json
import sys
import urllib.request

import geojson
from pyld import jsonld

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"


def fail(message):
    print(f"open-data check failed: {message}")
    sys.exit(1)


def get(url):
    with urllib.request.urlopen(url) as resp:
        return resp.headers.get("content-type", ""), resp.read().decode("utf-8")


base = sys.argv[1].rstrip("/")
_, text = get(f"{base}/open-data/catalog.jsonld")
expanded = jsonld.expand(json.loads(text))
catalogs = [n for n in expanded if DCAT + "Catalog" in n.get("@type", [])]
if len(catalogs) != 1:
    fail(f"one dcat:Catalog expected, got {len(catalogs)}")
datasets = catalogs[0].get(DCAT + "dataset", [])
if len(datasets) != 3:
    fail(f"three datasets expected, got {len(datasets)}")
downloads = []
for d in datasets:
    if DCAT + "Dataset" not in d.get("@type", []):
        fail(f"not a dcat:Dataset: {d.get('@id')}")
    if not d.get(DCT + "license"):
        fail(f"{d.get('@id')} states no licence")
    for dist in d.get(DCAT + "distribution", []):
        downloads.append(dist[DCAT + "downloadURL"][0]["@id"])
if len(downloads) != 4:
    fail(f"four distributions expected, got {downloads}")
for url in downloads:
    path = url.split("/api/v1", 1)[1]
    content_type, body = get(base + path)
    if path.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(body, newline=""), strict=True))
        if len(rows) < 2 or any(len(r) != len(rows[0]) for r in rows):
            fail(f"{path}: a header and rows of its width expected")
        print(f"{path}: {len(rows) - 1} rows of {len(rows[0])} columns")
    else:
        fc = geojson.loads(body)
        if not fc.is_valid or fc["type"] != "FeatureCollection" or not fc["features"]:
            fail(f"{path}: not a valid, non-empty FeatureCollection: {fc.errors()}")
        print(f"{path}: {len(fc['features'])} features")
print("open data: the catalogue expands as JSON-LD; every distribution reads back")
