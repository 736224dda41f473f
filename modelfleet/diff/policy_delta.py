"""Policy results on both sides of a diff: violations the change introduces, fixes, and what still fails.

Both sides are checked by this checkout's policy pack with its policies/config/<env>.json, over the pack's
real protocol (components/policy_check). Using one rule set for both sides makes the delta show what the
change does to the objects under the rules that apply once it is merged.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from modelfleet.check.check import EnvironmentResult, project_name, run_pack, subjects
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


def check_sides(project: Project, base: dict[str, list[dict]], head: dict[str, list[dict]]) -> dict[str, PolicyDelta]:
    """Run the pack on every environment of both sides (in parallel: one pack process each) and compare.

    An environment that only the base side has is not checked: its config may be gone with it, and all of
    its objects are removed anyway."""
    stack_project = project_name(project)
    jobs = [(side, env, objects) for side, trees in (("base", base), ("head", head)) for env, objects in trees.items() if env in head]

    def check(job: tuple[str, str, list[dict]]) -> EnvironmentResult:
        side, env, objects = job
        return run_pack(project, stack_project, env, subjects([(obj, f"{side} {env}", None, ()) for obj in objects], env, stack_project), None)

    with ThreadPoolExecutor(max_workers=max(min(len(jobs), 8), 1)) as pool:
        results = dict(zip(((side, env) for side, env, _ in jobs), pool.map(check, jobs)))
    return {env: policy_delta(violations(results.get(("base", env))), violations(results[("head", env)])) for env in head}
