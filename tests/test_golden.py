"""Each example stack renders exactly its reviewed snapshot and registers the same Pulumi URNs (regenerate: make golden)."""

import pytest

from tests.conftest import ENVIRONMENTS
from tests.golden import GOLDEN_URNS, golden_diff, registered_urns, rendered_trees, text_diff


@pytest.fixture(scope="module")
def trees():
    return rendered_trees()


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_render_matches_golden(trees, env):
    diff = golden_diff(env, trees[env])
    assert not diff, f"render of {env} differs from tests/golden/{env} (if intended: make golden, review git diff):\n{diff}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_pulumi_urns_match_golden(env):
    """Type tokens, names and parents of every registration: what live stacks are keyed on."""
    diff = text_diff((GOLDEN_URNS / f"{env}.txt").read_text(encoding="utf-8"), registered_urns(env), f"urns/{env}.txt")
    assert not diff, f"the URNs of {env} changed: `pulumi up` would replace these resources (add aliases, or if intended: make golden):\n{diff}"
