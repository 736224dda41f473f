"""Kubernetes resource quantities as exact numbers, for comparing requests with limits."""

from __future__ import annotations

import functools
from decimal import Decimal

_SUFFIXES = {
    "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40, "Pi": Decimal(2) ** 50, "Ei": Decimal(2) ** 60,
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"),
    "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"),
    "T": Decimal("1e12"), "P": Decimal("1e15"), "E": Decimal("1e18"),
}  # fmt: skip


@functools.lru_cache(maxsize=4096)
def parse_quantity(text: str) -> Decimal:
    """'500m' -> 0.5, '16Gi' -> 17179869184, '1e3' -> 1000 (the text is already pattern-checked). Cached: thousands
    of models repeat the same few requests, limits and GPU memory sizes."""
    for suffix in ("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"):
        if text.endswith(suffix):
            return Decimal(text[:-2]) * _SUFFIXES[suffix]
    if text[-1:] in _SUFFIXES:
        return Decimal(text[:-1]) * _SUFFIXES[text[-1]]
    return Decimal(text)
