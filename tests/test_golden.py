"""Each example stack renders exactly its reviewed snapshot (regenerate: make golden)."""

import pytest

from tests.conftest import ENVIRONMENTS
from tests.golden import golden_diff, rendered_trees


@pytest.fixture(scope="module")
def trees():
    return rendered_trees()


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_render_matches_golden(trees, env):
    diff = golden_diff(env, trees[env])
    assert not diff, f"render of {env} differs from tests/golden/{env} (if intended: make golden, review git diff):\n{diff}"
