"""Quantities of the spec as exact numbers, each text parsed once: thousands of models repeat the same few requests,
limits and GPU memory sizes."""

from __future__ import annotations

import functools
from decimal import Decimal

from modelfleet.quantities import parse_quantity


@functools.lru_cache(maxsize=4096)
def quantity_value(text: str) -> Decimal:
    """parse_quantity of an already pattern-checked quantity ('500m' -> 0.5, '16Gi' -> 17179869184)."""
    return parse_quantity(text)
