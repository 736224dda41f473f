"""Collecting cross-field problems while resolving: (field path, message) pairs, located at the end."""

from __future__ import annotations


class Problems:
    """Collects (path, message) pairs; resolve() locates them against the sources and raises them together.
    Warnings are located the same way and become notes of the plan."""

    def __init__(self) -> None:
        self.items: list[tuple[tuple, str]] = []
        self.warnings: list[tuple[tuple, str]] = []

    def add(self, path: tuple, message: str) -> None:
        """Once per path and message: a shared setting (environment.pod) is checked for every workload it reaches."""
        if (path, message) not in self.items:
            self.items.append((path, message))

    def warn(self, path: tuple, message: str) -> None:
        self.warnings.append((path, message))


def by_name(items: list) -> dict[str, tuple[int, object]]:
    """Entries by name with their index (names are unique: the loader reports repeated ones)."""
    return {item.name: (index, item) for index, item in enumerate(items)}


def unknown(kind: str, name: str, known: dict) -> str:
    listed = ", ".join(sorted(known)) or "none"
    return f"unknown {kind} '{name}'; defined: {listed}"
