"""Golden snapshots of each example stack's render, under tests/golden/<env>/, of the `modelfleet diff`
Markdown report of the fixture pair in tests/diff_fixtures/, in tests/golden/diff.md, and of the Pulumi URNs each
stack registers under the mock runtime, in tests/golden/urns/<env>.txt (a changed URN makes `pulumi up` replace
live resources: a move or rename of a component must keep them, or carry an alias).

Regenerate after an intended change with `make golden` (python -m tests.golden --update), then review
`git diff tests/golden` before committing: the diff is the change users will see.
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import subprocess
import sys
from pathlib import Path

from modelfleet.compile import compile_environments
from modelfleet.diff.compare import DiffResult, compare
from modelfleet.diff.report import markdown_report
from modelfleet.diff.sources import rendered_directory
from modelfleet.render.files import render_files
from modelfleet.load.project import Project

ROOT = Path(__file__).resolve().parents[1]
GOLDEN_DIR = ROOT / "tests" / "golden"
GOLDEN_DIFF = GOLDEN_DIR / "diff.md"
DIFF_FIXTURES = ROOT / "tests" / "diff_fixtures"
GOLDEN_URNS = GOLDEN_DIR / "urns"


def fixture_diff(with_policy: bool = True) -> DiffResult:
    """The diff of the hand-written pair tests/diff_fixtures/base -> head, policy checked by policies/."""
    base = rendered_directory(DIFF_FIXTURES / "base", "tests/diff_fixtures/base")
    head = rendered_directory(DIFF_FIXTURES / "head", "tests/diff_fixtures/head")
    return compare(Project.at(ROOT), base, head, with_policy=with_policy)


def text_diff(stored: str, current: str, name: str) -> str:
    """A unified diff from a stored snapshot to the current text ('' when equal)."""
    return "".join(difflib.unified_diff(stored.splitlines(True), current.splitlines(True), f"golden/{name}", f"current/{name}"))


def rendered_trees() -> dict[str, dict[str, str]]:
    project = Project.at(ROOT)
    return {
        item.env: render_files(item.env, item.objects, item.gitops_objects)
        for item in compile_environments(project, project.environments(), None)
    }


def stored_tree(env: str) -> dict[str, str]:
    """The stored snapshot of `env`: '/'-separated path relative to tests/golden/<env>/ -> content."""
    stored_dir = GOLDEN_DIR / env
    if not stored_dir.is_dir():
        return {}
    return {path.relative_to(stored_dir).as_posix(): path.read_text(encoding="utf-8") for path in sorted(stored_dir.rglob("*")) if path.is_file()}


def golden_diff(env: str, files: dict[str, str]) -> str:
    """A unified diff from the stored snapshot to `files` ('' when equal)."""
    stored = stored_tree(env)
    chunks = []
    for name in sorted(set(stored) | set(files)):
        old, new = stored.get(name, ""), files.get(name, "")
        chunks.append(text_diff(old, new, f"{env}/{name}"))
    return "".join(chunks)


def registered_urns(env: str) -> str:
    """The URNs `__main__.py` registers for `env` under Pulumi's mock runtime, sorted, one per line."""
    run = subprocess.run([sys.executable, str(ROOT / "tests" / "pulumi_mock_run.py"), "--urns", env], capture_output=True, text=True, cwd=ROOT, check=True)
    return run.stdout


def update() -> None:
    for env, files in rendered_trees().items():
        target = GOLDEN_DIR / env
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name, content in files.items():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_text(content, encoding="utf-8")
        print(f"updated tests/golden/{env} ({len(files)} files); review with git diff tests/golden")
    GOLDEN_URNS.mkdir(exist_ok=True)
    for env in Project.at(ROOT).environments():
        (GOLDEN_URNS / f"{env}.txt").write_text(registered_urns(env), encoding="utf-8")
        print(f"updated tests/golden/urns/{env}.txt; review with git diff tests/golden")
    GOLDEN_DIFF.write_text(markdown_report(fixture_diff()), encoding="utf-8")
    print("updated tests/golden/diff.md; review with git diff tests/golden")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--update", action="store_true", required=True, help="rewrite tests/golden from the current stacks")
    parser.parse_args()
    update()
