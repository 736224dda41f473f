"""The diff report: terminal text (coloured on a TTY), Markdown for a pull-request comment, or JSON.

The Markdown starts with a fixed marker line so a bot can find and update its own comment, lists a
summary table first, then folds the details of each environment. Every list is sorted and nothing
depends on time, so the same change always gives the same comment.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import asdict
from typing import Any

from modelfleet.diff.compare import DiffResult, EnvironmentDiff
from modelfleet.diff.object_diff import ABSENT, FieldChange, ObjectKey
from modelfleet.diff.policy_delta import PolicyDelta, Violation
from modelfleet.diff.serving import Serving
from modelfleet.diff.serving_changes import GpuTotals, ServingChange, replicas_text, show_count
from modelfleet.output import document

MARKER = "<!-- modelfleet-diff -->"
COMMENT_LIMIT = 60_000  # GitHub refuses comments over 65536 characters
_COLOURS = {"added": "32", "removed": "31", "changed": "33", "mandatory": "31", "advisory": "33", "fixed": "32", "heading": "1"}
_IN_WORKLOAD_TABLE = ("GPUs at min scale", "GPUs at max scale", "replicas", "image")
_SIGNS = {"added": "+", "removed": "-", "changed": "~"}


def show(value: Any) -> str:
    """A field value on one line: JSON, so "1" and 1 differ; '(absent)' for a field that is not set."""
    return "(absent)" if value is ABSENT else json.dumps(value, sort_keys=True, ensure_ascii=False)


def _is_text_block(change: FieldChange) -> bool:
    return any(isinstance(value, str) and "\n" in value for value in (change.old, change.new))


def text_block_diff(change: FieldChange) -> list[str]:
    """A multi-line string (serveConfigV2, a runtime script) as unified diff lines."""
    old = change.old.splitlines() if isinstance(change.old, str) else []
    new = change.new.splitlines() if isinstance(change.new, str) else []
    return [line for line in difflib.unified_diff(old, new, "before", "after", lineterm="", n=2)][2:]


def gpu_delta(before: int | None, after: int | None) -> str:
    if before == after:
        return show_count(after)
    step = f" ({after - before:+d})" if before is not None and after is not None else ""
    return f"{show_count(before)} → {show_count(after)}{step}"


def object_counts(env: EnvironmentDiff) -> str:
    counts = [f"{env.count(status)} {status}" for status in ("added", "changed", "removed") if env.count(status)]
    return ", ".join(counts) or "no change"


def policy_counts(policy: PolicyDelta | None) -> str:
    if policy is None:
        return "not checked"
    parts = []
    for label, items in (("new", policy.new), ("changed", policy.changed), ("fixed", policy.fixed)):
        mandatory = sum(1 for item in items if item.level == "mandatory")
        if items:
            parts.append(f"{len(items)} {label}" + (f" ({mandatory} mandatory)" if mandatory else ""))
    still = f"{policy.head_mandatory} mandatory, {policy.head_advisory} advisory"
    return f"{', '.join(parts)}; now {still}" if parts else f"no change; {still}"


def _gpus(before: GpuTotals, after: GpuTotals) -> tuple[str, str]:
    return gpu_delta(before.at_min, after.at_min), gpu_delta(before.at_max, after.at_max)


def _summary_line(summary: Serving) -> str:
    where = f", {summary.runtime}" + (f" {summary.runtime_version}" if summary.runtime_version else "") if summary.runtime else ""
    capacity = f", KV capacity {summary.kv_tokens:,} tokens ({summary.max_concurrency}x)" if summary.kv_tokens is not None else ""
    return f"{summary.backend}{where}, GPUs {summary.gpus_min} at min / {show_count(summary.gpus_max)} at max, replicas {replicas_text(summary)}, image {summary.image or '-'}{capacity}"


def _violation_line(item: Violation) -> str:
    return f"{item.level} {item.policy} on {item.resource}: {item.message}"


# --- text -------------------------------------------------------------------------------------------------


class _Paint:
    def __init__(self, colour: bool):
        self.colour = colour

    def __call__(self, text: str, role: str) -> str:
        return f"\033[{_COLOURS[role]}m{text}\033[0m" if self.colour else text


def _text_serving(change: ServingChange, paint: _Paint) -> list[str]:
    if change.status == "unchanged":
        return []
    summary = change.after or change.before
    head = f"{_SIGNS[change.status]} {change.key.display()}: {_summary_line(summary)}" if change.status != "changed" else f"~ {change.key.display()} ({summary.backend})"
    lines = [paint(head, change.status)]
    if change.status == "changed":
        lines += [f"    {item.label}: {item.old if item.old is not None else '(unset)'} → {item.new if item.new is not None else '(unset)'}" for item in change.fields]
    return lines


def _text_object(change, paint: _Paint) -> list[str]:
    lines = [paint(f"{_SIGNS[change.status]} {change.key.display()}", change.status)]
    for field in change.fields:
        if _is_text_block(field):
            lines.append(f"    {field.path}:")
            lines += [f"      {line}" for line in text_block_diff(field)]
        else:
            lines.append(f"    {field.path}: {show(field.old)} → {show(field.new)}")
    return lines


def text_report(result: DiffResult, colour: bool = False) -> str:
    paint = _Paint(colour)
    lines = [paint(f"modelfleet diff: {result.base} → {result.head}", "heading")]
    lines += [f"note: {note}" for note in result.notes]
    for env in result.environments:
        at_min, at_max = _gpus(env.gpus_before, env.gpus_after)
        status = "" if env.status in ("changed", "unchanged") else f" (environment {env.status})"
        lines.append("")
        lines.append(paint(f"{env.env}{status}: {object_counts(env)}; GPUs at min scale {at_min}, at max scale {at_max}; policy: {policy_counts(env.policy)}", "heading"))
        serving = [line for change in env.serving for line in _text_serving(change, paint)]
        if serving:
            lines += ["  serving:"] + [f"    {line}" for line in serving]
        if env.objects:
            lines += ["  objects:"] + [f"    {line}" for change in env.objects for line in _text_object(change, paint)]
        if env.policy is not None:
            policy = [paint(f"new {_violation_line(item)}", item.level) for item in env.policy.new]
            policy += [paint(f"still failing, changed: {_violation_line(item)}", item.level) for item in env.policy.changed]
            policy += [paint(f"fixed {_violation_line(item)}", "fixed") for item in env.policy.fixed]
            if policy:
                lines += ["  policy:"] + [f"    {line}" for line in policy]
    lines.append("")
    lines.append(_verdict(result))
    return "\n".join(lines)


def _verdict(result: DiffResult) -> str:
    if result.mandatory:
        return f"Result: {result.mandatory} mandatory policy violation(s) after this change (exit {result.exit_code})"
    return f"Result: {'changes' if result.changed else 'no change'} (exit {result.exit_code})"


# --- markdown ---------------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}" if text else "` `"


def _markdown_serving(env: EnvironmentDiff) -> list[str]:
    changed = [change for change in env.serving if change.status != "unchanged"]
    if not changed:
        return []
    lines = ["#### Serving", "", "| Workload | Backend | GPUs at min | GPUs at max | Replicas | Image |", "| --- | --- | --- | --- | --- | --- |"]
    for change in changed:
        before, after = change.before, change.after
        now = after or before
        replicas = replicas_text(now) if not (before and after) or replicas_text(before) == replicas_text(after) else f"{replicas_text(before)} → {replicas_text(after)}"
        image = (now.image or "-") if not (before and after) or before.image == after.image else f"{before.image} → {after.image}"
        gpus_min = gpu_delta(before.gpus_min if before else 0, after.gpus_min if after else 0)
        gpus_max = gpu_delta(before.gpus_max if before else 0, after.gpus_max if after else 0)
        name = f"{_SIGNS[change.status]} {change.key.display()}"
        lines.append(f"| {_cell(name)} | {now.backend} | {gpus_min} | {gpus_max} | {_cell(replicas)} | {_cell(image)} |")
    details = [(change, item) for change in changed if change.status == "changed" for item in change.fields if item.label not in _IN_WORKLOAD_TABLE]
    if details:
        lines += ["", "| Workload | Setting | Before | After |", "| --- | --- | --- | --- |"]
        for change, item in details:
            old = _code(item.old) if item.old is not None else "(unset)"
            new = _code(item.new) if item.new is not None else "(unset)"
            lines.append(f"| {_cell(change.key.display())} | {_cell(item.label)} | {_cell(old)} | {_cell(new)} |")
    return lines + [""]


def _markdown_objects(env: EnvironmentDiff, with_fields: bool) -> list[str]:
    if not env.objects:
        return []
    lines = ["#### Objects", ""]
    for change in env.objects:
        lines.append(f"- {change.status} {_code(change.key.display())}")
        if not with_fields:
            continue
        for field in change.fields:
            if _is_text_block(field):
                lines += [f"  - {_code(field.path)}:", "    ```diff", *[f"    {line}" for line in text_block_diff(field)], "    ```"]
            else:
                lines.append(f"  - {_code(field.path)}: {_code(show(field.old))} → {_code(show(field.new))}")
    return lines + [""]


def _markdown_policy(env: EnvironmentDiff) -> list[str]:
    policy = env.policy
    if policy is None or not (policy.new or policy.changed or policy.fixed):
        return []
    lines = ["#### Policy", ""]
    for label, items in (("new", policy.new), ("still failing, changed", policy.changed), ("fixed", policy.fixed)):
        lines += [f"- {label}: **{item.level}** {_code(item.policy)} on {_code(item.resource)}: {_cell(item.message)}" for item in items]
    return lines + [""]


def markdown_report(result: DiffResult, with_fields: bool = True) -> str:
    lines = [MARKER, f"### modelfleet diff: {_code(result.base)} → {_code(result.head)}", ""]
    lines += [f"> {note}" for note in result.notes] + ([""] if result.notes else [])
    lines += ["| Environment | Objects | GPUs at min scale | GPUs at max scale | Policy |", "| --- | --- | --- | --- | --- |"]
    for env in result.environments:
        at_min, at_max = _gpus(env.gpus_before, env.gpus_after)
        name = env.env if env.status in ("changed", "unchanged") else f"{env.env} ({env.status})"
        lines.append(f"| {name} | {object_counts(env)} | {at_min} | {at_max} | {_cell(policy_counts(env.policy))} |")
    lines += ["", f"**{_verdict(result)}**", ""]
    for env in result.environments:
        body = _markdown_serving(env) + _markdown_objects(env, with_fields) + _markdown_policy(env)
        if body:
            lines += [f"<details><summary><b>{env.env}</b>: {object_counts(env)}</summary>", "", *body, "</details>", ""]
    if not with_fields:
        lines.append("_Field details left out to fit a comment; run `modelfleet diff` locally for them._")
    return "\n".join(lines).rstrip() + "\n"


def comment_markdown(result: DiffResult) -> str:
    """The Markdown report, without per-field details when the full one is too long for a comment."""
    full = markdown_report(result)
    if len(full) <= COMMENT_LIMIT:
        return full
    short = markdown_report(result, with_fields=False)
    return short if len(short) <= COMMENT_LIMIT else short[:COMMENT_LIMIT] + "\n\n_Report cut to fit a comment._\n"


# --- json -------------------------------------------------------------------------------------------------


def _key_json(key: ObjectKey) -> dict[str, str]:
    return {"group": key.group, "kind": key.kind, "namespace": key.namespace, "name": key.name}


def _field_json(field: FieldChange) -> dict[str, Any]:
    found: dict[str, Any] = {"path": field.path}
    found.update({side: value for side, value in (("old", field.old), ("new", field.new)) if value is not ABSENT})
    return found


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


def _camel_dict(instance: Any) -> dict[str, Any]:
    return {_camel(name): value for name, value in asdict(instance).items()}


def _summary_json(summary: Serving | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    data = _camel_dict(summary)
    data.pop("key")
    data["engineOptions"] = [list(pair) for pair in summary.engine_options]
    data["autoscaling"] = [list(pair) for pair in summary.autoscaling]
    data["traffic"] = [list(pair) for pair in summary.traffic]
    return data


def _environment_json(env: EnvironmentDiff) -> dict[str, Any]:
    return {
        "environment": env.env,
        "status": env.status,
        "gpus": {"before": _camel_dict(env.gpus_before), "after": _camel_dict(env.gpus_after)},
        "objects": [{**_key_json(change.key), "status": change.status, "fields": [_field_json(field) for field in change.fields]} for change in env.objects],
        "serving": [
            {**_key_json(change.key), "status": change.status, "before": _summary_json(change.before), "after": _summary_json(change.after),
             "fields": [asdict(field) for field in change.fields]}
            for change in env.serving
        ],
        "policy": None if env.policy is None else {
            "new": [asdict(item) for item in env.policy.new],
            "changed": [asdict(item) for item in env.policy.changed],
            "fixed": [asdict(item) for item in env.policy.fixed],
            "mandatory": env.policy.head_mandatory,
            "advisory": env.policy.head_advisory,
        },
    }  # fmt: skip


def json_report(result: DiffResult) -> str:
    return document(
        "diff",
        result.exit_code,
        base=result.base,
        head=result.head,
        changed=result.changed,
        mandatory=result.mandatory,
        notes=list(result.notes),
        environments=[_environment_json(env) for env in result.environments],
    )


def render(result: DiffResult, output_format: str, colour: bool = False) -> str:
    if output_format == "markdown":
        return comment_markdown(result)
    if output_format == "json":
        return json_report(result)
    return text_report(result, colour)
