"""`modelfleet diff`: compare two snapshots per environment (objects, serving impact, policy) and decide the exit code."""

from __future__ import annotations

from dataclasses import dataclass

from modelfleet.load.project import Project
from modelfleet.diff.object_diff import ObjectChange, object_changes
from modelfleet.diff.policy_delta import PolicyDelta, check_sides
from modelfleet.diff.serving import serving_summaries
from modelfleet.diff.serving_changes import GpuTotals, ServingChange, serving_changes
from modelfleet.diff.sources import Snapshot

EXIT_NO_CHANGE, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


@dataclass(frozen=True)
class EnvironmentDiff:
    env: str
    status: str                        # added | removed | changed | unchanged (the environment itself)
    objects: tuple[ObjectChange, ...]
    serving: tuple[ServingChange, ...]
    gpus_before: GpuTotals
    gpus_after: GpuTotals
    policy: PolicyDelta | None         # None: not checked (--no-policy, or an environment removed)

    def count(self, status: str) -> int:
        return sum(1 for change in self.objects if change.status == status)


@dataclass(frozen=True)
class DiffResult:
    base: str
    head: str
    environments: tuple[EnvironmentDiff, ...]
    notes: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return any(env.objects for env in self.environments)

    @property
    def mandatory(self) -> int:
        """Mandatory violations on the head side: merging would deploy them."""
        return sum(env.policy.head_mandatory for env in self.environments if env.policy)

    @property
    def exit_code(self) -> int:
        if self.mandatory:
            return EXIT_ERROR
        return EXIT_CHANGES if self.changed else EXIT_NO_CHANGE


def compare(project: Project, base: Snapshot, head: Snapshot, envs: list[str] | None = None, with_policy: bool = True, protocol: str = "in-process") -> DiffResult:
    """The diff of every environment on either side (or of `envs`), sorted by name."""
    names = sorted(set(base.environments) | set(head.environments))
    if envs:
        names = [env for env in names if env in envs]
    before = {env: base.environments[env] for env in names if env in base.environments}
    after = {env: head.environments[env] for env in names if env in head.environments}
    policy = check_sides(project, before, after, protocol) if with_policy else {}
    diffs = []
    for env in names:
        old, new = before.get(env, []), after.get(env, [])
        objects = tuple(object_changes(old, new))
        old_serving, new_serving = serving_summaries(old), serving_summaries(new)
        status = "added" if env not in before else "removed" if env not in after else "changed" if objects else "unchanged"
        diffs.append(EnvironmentDiff(
            env, status, objects, tuple(serving_changes(old_serving, new_serving)),
            GpuTotals.of(list(old_serving.values())), GpuTotals.of(list(new_serving.values())), policy.get(env),
        ))  # fmt: skip
    return DiffResult(base.label, head.label, tuple(diffs), base.notes + head.notes)
