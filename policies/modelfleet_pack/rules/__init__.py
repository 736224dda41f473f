"""One CrossGuard policy per module; each exposes POLICY (assembled by policies/__main__.py)."""
