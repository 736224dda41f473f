"""Run the policy pack's rules through the real protocol: one pack process, configured per call.

`pack` is a module-scoped fixture (a test module imports it), so each test module starts the pack once.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelfleet.check.analyzer_client import PolicyPackProcess
from modelfleet.check.check import subjects
from modelfleet.check.pack_config import reconcile
from modelfleet.load.source_yaml import load_yaml_documents_file

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "policy_fixtures"
DELETE = object()


class Harness:
    def __init__(self, process: PolicyPackProcess, scratch: Path):
        self.process = process
        self.scratch = scratch

    def configure(self, config: dict[str, Any]) -> None:
        """Configure the pack from a policy config file's content, reconciled as `modelfleet check` does."""
        path = self.scratch / "policy-config.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        self.process.configure(reconcile(path, path.name, self.process.policies))

    def findings(self, *objects: dict, config: dict[str, Any] | None = None) -> list[tuple[str, str, str]]:
        """(policy, level, message) of every violation: Analyze per object, then AnalyzeStack over all."""
        self.configure(config or {})
        checked = [subject.resource for subject in subjects([(obj, "fixture", None, ()) for obj in objects], "test", "modelfleet")]
        diagnostics = [diagnostic for resource in checked for diagnostic in self.process.analyze(resource)]
        diagnostics += self.process.analyze_stack(checked)
        return [(diagnostic.policy, diagnostic.level, diagnostic.message) for diagnostic in diagnostics]

    def messages(self, policy: str, *objects: dict, config: dict[str, Any] | None = None) -> list[str]:
        return [message for name, _, message in self.findings(*objects, config=config) if name == policy]


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with PolicyPackProcess(ROOT / "policies", "modelfleet", "test") as process:
        yield Harness(process, tmp_path_factory.mktemp("policy"))


def fixture(name: str) -> list[dict]:
    """The objects of tests/policy_fixtures/<name>."""
    return [document.data for document in load_yaml_documents_file(FIXTURES / name) if document.data is not None]


def edited(obj: dict, path: tuple, value: Any) -> dict:
    """A copy of `obj` with the field at `path` set to `value` (or removed, for DELETE)."""
    result = copy.deepcopy(obj)
    parent = result
    for key in path[:-1]:
        parent = parent[key]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return result
