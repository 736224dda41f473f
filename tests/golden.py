"""Golden snapshots of each example stack's render, under tests/golden/<env>/.

Regenerate after an intended change with `make golden` (python -m tests.golden --update), then review
`git diff tests/golden` before committing: the diff is the change users will see.
"""

from __future__ import annotations

import argparse
import difflib
import shutil
from pathlib import Path

from components.compile import compile_environments
from components.render import render_files
from components.stack_files import Project

ROOT = Path(__file__).resolve().parents[1]
GOLDEN_DIR = ROOT / "tests" / "golden"


def rendered_trees() -> dict[str, dict[str, str]]:
    project = Project.at(ROOT)
    return {item.env: render_files(item.env, item.objects) for item in compile_environments(project, project.environments(), None)}


def golden_diff(env: str, files: dict[str, str]) -> str:
    """A unified diff from the stored snapshot to `files` ('' when equal)."""
    stored_dir = GOLDEN_DIR / env
    stored = {path.name: path.read_text(encoding="utf-8") for path in sorted(stored_dir.iterdir())} if stored_dir.is_dir() else {}
    chunks = []
    for name in sorted(set(stored) | set(files)):
        old, new = stored.get(name, ""), files.get(name, "")
        if old != new:
            chunks.extend(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"golden/{env}/{name}", f"rendered/{env}/{name}"))
    return "".join(chunks)


def update() -> None:
    for env, files in rendered_trees().items():
        target = GOLDEN_DIR / env
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name, content in files.items():
            (target / name).write_text(content, encoding="utf-8")
        print(f"updated tests/golden/{env} ({len(files)} files); review with git diff tests/golden")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--update", action="store_true", required=True, help="rewrite tests/golden from the current stacks")
    parser.parse_args()
    update()
