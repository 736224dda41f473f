"""Run __main__.py under Pulumi's mock runtime for one stack and print the registered objects as JSON.

Used by test_pulumi_parity.py and test_image_build.py in a subprocess per stack (the Pulumi runtime is
process-global). Config comes from the stack file's modelfleet:* keys, passed as Pulumi passes structured config
(JSON). PROJECT (default: this repository) is a project directory holding its own copy of __main__.py; run it with
that directory as the working directory, as `pulumi up` does.
Each record: type, name, inputs, and dependencies (the URNs the resource waits for). With --urns, the sorted URNs of
every registration (component resources included) instead, one per line: what `pulumi up` would key its state on.
No resource plugin runs: the mock monitor answers every registration (a pulumi-docker-build Image too).
Usage: python tests/pulumi_mock_run.py [--urns] ENV [PROJECT]
"""

from __future__ import annotations

import hashlib
import json
import runpy
import sys
from pathlib import Path

import pulumi
import yaml
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

ROOT = Path(__file__).resolve().parents[1]
DOCKER_BUILD_IMAGE = "docker-build:index:Image"


def pushed_digest(tags: list[str]) -> str:
    """The digest the mocked pulumi-docker-build Image reports for a push of `tags` (deterministic)."""
    return "sha256:" + hashlib.sha256("\n".join(tags).encode()).hexdigest()


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[dict] = []
        self.dependencies: list[str] = []  # of the registration in progress (set by the monitor hook in main)
        self.urns: list[str] = []  # of every registration, components included

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append({"type": args.typ, "name": args.name, "inputs": args.inputs, "dependencies": self.dependencies})
        outputs = dict(args.inputs)
        if args.typ == DOCKER_BUILD_IMAGE and args.inputs.get("push"):
            # what the provider reports after pushing: the digest, and ref = <first tag>@<digest>
            outputs["digest"] = pushed_digest(args.inputs["tags"])
            outputs["ref"] = f"{args.inputs['tags'][0]}@{outputs['digest']}"
        elif args.typ == DOCKER_BUILD_IMAGE:
            outputs.update(digest="", ref=args.inputs["tags"][0])  # built, not exported: ref is the tag
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


def main(env: str, project: Path = ROOT, urns: bool = False) -> None:
    stack_file = yaml.safe_load((project / "stacks" / f"Pulumi.{env}.yaml").read_text())
    config = {key: json.dumps(value) for key, value in (stack_file.get("config") or {}).items()}
    mocks = RecordingMocks()
    register = MockMonitor.RegisterResource

    def register_recording_dependencies(monitor, request):
        mocks.dependencies = sorted(request.dependencies)
        response = register(monitor, request)
        mocks.urns.append(response.urn)
        return response

    MockMonitor.RegisterResource = register_recording_dependencies
    pulumi.runtime.set_mocks(mocks, project="modelfleet", stack=env, preview=False)
    pulumi.runtime.set_all_config(config)
    runpy.run_path(str(project / "__main__.py"), run_name="__main__")
    _sync_await(wait_for_rpcs())
    if urns:
        sys.stdout.write("".join(f"{urn}\n" for urn in sorted(mocks.urns)))
    else:
        json.dump(mocks.resources, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    arguments = [argument for argument in sys.argv[1:] if argument != "--urns"]
    main(arguments[0], Path(arguments[1]).resolve() if len(arguments) > 1 else ROOT, urns="--urns" in sys.argv[1:])
