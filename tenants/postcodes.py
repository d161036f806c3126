"""Centres of the Dutch 4-digit postcode areas, to order care providers by distance.

Data: GeoNames (geonames.org), CC BY 4.0, shipped as `tenants/data/nl-postcode4.tsv`; the
places of one postcode averaged. Good enough for "nearest first", not an address geocoder."""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

CREDIT = "GeoNames (geonames.org), CC BY 4.0"
POSTCODE = re.compile(r"^\s*([1-9][0-9]{3})\s*(?:[A-Za-z]{2})?\s*$")


@dataclass(frozen=True)
class Centre:
    postcode: str
    place: str
    latitude: float
    longitude: float


@cache
def _centres() -> dict[str, Centre]:
    text = files("pelvicoach.tenants").joinpath("data", "nl-postcode4.tsv").read_text("utf-8")
    return {
        row["postcode4"]: Centre(
            row["postcode4"], row["place"], float(row["latitude"]), float(row["longitude"])
        )
        for row in csv.DictReader(text.splitlines(), delimiter="\t")
    }


def four_digits(postcode: str) -> str | None:
    """'1234 AB', '1234ab' or '1234' -> '1234'; None when it is not a Dutch postcode."""
    match = POSTCODE.match(postcode or "")
    return match.group(1) if match else None


def centre(postcode: str) -> Centre | None:
    digits = four_digits(postcode)
    return _centres().get(digits) if digits else None


def distance_km(a: Centre, latitude: float, longitude: float) -> float:
    """Great-circle distance (haversine)."""
    lat1, lat2 = math.radians(a.latitude), math.radians(latitude)
    dlat, dlon = lat2 - lat1, math.radians(longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))
