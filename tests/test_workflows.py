"""GitHub workflow files: valid against the workflow schema (offline), every action pinned, no rebuild loop."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
USES_LINE = re.compile(r"\s*(?:- )?uses: (?P<ref>\S+)(?P<comment>.*)")
# A full commit SHA with the version it is as a comment, or an exact version tag.
PINNED = re.compile(r"[\w.-]+/[\w./-]+@(?:[0-9a-f]{40}(?= # v\d+\.\d+\.\d+$)|v\d+\.\d+\.\d+$)")


def check_jsonschema(*files: Path) -> subprocess.CompletedProcess:
    """check-jsonschema with its bundled schema; a proxy that refuses every connection proves nothing is downloaded."""
    offline = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, files)]
    return subprocess.run(command, capture_output=True, text=True, env=offline)


def test_every_workflow_is_valid_against_the_github_workflow_schema():
    assert WORKFLOWS
    result = check_jsonschema(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    steps:\n      - uses: actions/checkout@v4.2.2\n")
    result = check_jsonschema(broken)
    assert result.returncode == 1 and "'runs-on' is a required property" in result.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_commit_or_an_exact_version(path):
    text = path.read_text()
    lines = [match for match in map(USES_LINE.fullmatch, text.splitlines()) if match]
    jobs = yaml.safe_load(text)["jobs"].values()
    uses = [step["uses"] for job in jobs for step in job.get("steps", []) if "uses" in step]
    uses += [job["uses"] for job in jobs if "uses" in job]
    assert sorted(match["ref"] for match in lines) == sorted(uses)  # every `uses:` is on a line of its own
    assert [match[0].strip() for match in lines if not PINNED.match(match["ref"] + match["comment"])] == []


def test_pin_pattern():
    sha = "11bd71901bbe5b1630ceea73d27597364c9af683"
    good = [f"actions/checkout@{sha} # v4.2.2", "docker/build-push-action@v6.18.0"]
    bad = [f"actions/checkout@{sha}", "actions/checkout@v4", "actions/checkout@main", f"actions/checkout@{sha} # v4"]
    assert [ref for ref in good + bad if PINNED.match(ref)] == good


def test_merging_the_lock_update_does_not_rebuild_the_image():
    """The workflow's own pull request changes only image.lock; the push of its merge must not build again."""
    on = yaml.safe_load((ROOT / ".github" / "workflows" / "runtime-image.yml").read_text())[True]  # YAML 1.1 reads `on` as true
    assert all("!runtime-image/image.lock" in on[event]["paths"] for event in ("push", "pull_request"))
