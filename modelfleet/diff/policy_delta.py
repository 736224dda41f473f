"""Policy results on both sides of a diff: violations the change introduces, fixes, and what still fails.

Both sides are checked by this checkout's policy pack with its policies/config/<env>.json (modelfleet/check), one
pack per environment for both sides. Using one rule set for both sides makes the delta show what the change does
to the objects under the rules that apply once it is merged; so an object the change leaves as it is has the same
verdicts on both sides, and only the head side's objects and the base side's changed ones are analyzed (the stack
policies see each whole side).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from modelfleet.check.check import EnvironmentResult, analyze, findings, open_pack, policy_config, project_name, subjects
from modelfleet.check.pack_config import reconcile
from modelfleet.load.project import Project


@dataclass(frozen=True)
class Violation:
    level: str       # mandatory | advisory
    policy: str
    resource: str    # "InferenceService ns/name", or "stack" for a stack policy
    message: str


@dataclass(frozen=True)
class PolicyDelta:
    new: tuple[Violation, ...]        # on the head side only (for this policy and resource)
    fixed: tuple[Violation, ...]      # on the base side only
    changed: tuple[Violation, ...]    # on both sides with another message; the head side's
    head_mandatory: int
    head_advisory: int


def violations(result: EnvironmentResult | None) -> list[Violation]:
    if result is None:
        return []
    return [
        Violation(finding.level, finding.policy.name, finding.subject.display() if finding.subject else "stack", finding.message)
        for finding in result.findings
        if finding.level in ("mandatory", "advisory")
    ]


def policy_delta(base: list[Violation], head: list[Violation]) -> PolicyDelta:
    """Violations grouped by policy and resource: a group on one side only is new or fixed; on both sides
    with other messages (a GPU budget exceeded by more) it is changed."""

    def grouped(items: list[Violation]) -> dict[tuple[str, str], list[Violation]]:
        groups: dict[tuple[str, str], list[Violation]] = {}
        for item in sorted(items, key=lambda v: (v.policy, v.resource, v.message)):
            groups.setdefault((item.policy, item.resource), []).append(item)
        return groups

    before, after = grouped(base), grouped(head)
    new = [item for key in after if key not in before for item in after[key]]
    fixed = [item for key in before if key not in after for item in before[key]]
    changed = [item for key in after if key in before and {(v.level, v.message) for v in before[key]} != {(v.level, v.message) for v in after[key]} for item in after[key]]
    order = lambda v: (v.level != "mandatory", v.policy, v.resource, v.message)  # noqa: E731
    return PolicyDelta(
        tuple(sorted(new, key=order)), tuple(sorted(fixed, key=order)), tuple(sorted(changed, key=order)),
        sum(1 for v in head if v.level == "mandatory"), sum(1 for v in head if v.level == "advisory"),
    )  # fmt: skip


def check_sides(project: Project, base: dict[str, list[dict]], head: dict[str, list[dict]], protocol: str = "in-process") -> dict[str, PolicyDelta]:
    """Run the pack on every environment of both sides and compare (over gRPC: one pack process per environment, in
    parallel).

    An environment that only the base side has is not checked: its config may be gone with it, and all of
    its objects are removed anyway."""
    stack_project = project_name(project)

    def check(env: str) -> tuple[EnvironmentResult | None, EnvironmentResult]:
        sides = {side: subjects([(obj, f"{side} {env}", None, ()) for obj in trees[env]], env, stack_project) for side, trees in (("base", base), ("head", head)) if env in trees}
        path, shown = policy_config(project, env, None)
        with open_pack(project, stack_project, env, protocol) as pack:
            pack.configure(reconcile(path, shown, pack.policies))
            head_found = analyze(pack, sides["head"])
            known = {subject.resource.urn: (subject.resource.properties, found) for subject, found in zip(sides["head"], head_found)}
            results = {}
            for side, checked in sides.items():
                diagnostics = [item for found in (head_found if side == "head" else analyze(pack, checked, known)) for item in found]
                diagnostics += pack.analyze_stack([subject.resource for subject in checked])
                results[side] = EnvironmentResult(env, shown, checked, findings(pack.policies, checked, diagnostics, None))
        return results.get("base"), results["head"]

    envs = sorted(head)
    with ThreadPoolExecutor(max_workers=max(min(len(envs), 8), 1) if protocol == "grpc" else 1) as pool:
        results = dict(zip(envs, pool.map(check, envs)))
    return {env: policy_delta(violations(results[env][0]), violations(results[env][1])) for env in envs}
