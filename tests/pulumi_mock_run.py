"""Run __main__.py under Pulumi's mock runtime for one stack and print the registered objects as JSON.

Used by test_pulumi_parity.py in a subprocess per stack (the Pulumi runtime is process-global).
Config comes from the stack file's modelfleet:* keys, passed as Pulumi passes structured config (JSON).
Usage: python tests/pulumi_mock_run.py ENV
"""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import pulumi
import yaml
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

ROOT = Path(__file__).resolve().parents[1]


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[dict] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append({"type": args.typ, "name": args.name, "inputs": args.inputs})
        return f"{args.name}-id", args.inputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


def main(env: str) -> None:
    stack_file = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{env}.yaml").read_text())
    config = {key: json.dumps(value) for key, value in (stack_file.get("config") or {}).items()}
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="modelfleet", stack=env, preview=False)
    pulumi.runtime.set_all_config(config)
    runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
    _sync_await(wait_for_rpcs())
    json.dump(mocks.resources, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
