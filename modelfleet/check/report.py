"""The check report: readable text grouped by resource, JSON, or GitHub workflow annotations."""

from __future__ import annotations

from typing import Any

from modelfleet.check.check import EnvironmentResult, Finding, Subject
from modelfleet.output import annotation, document, position_json


def _grouped(result: EnvironmentResult) -> list[tuple[Subject | None, list[Finding]]]:
    """Findings by resource, in the order the resources were checked; stack-wide findings last."""
    groups: dict[int, list[Finding]] = {}
    order = {id(subject): index for index, subject in enumerate(result.subjects)}
    for finding in result.findings:
        key = order[id(finding.subject)] if finding.subject is not None else len(order)
        groups.setdefault(key, []).append(finding)
    return [(result.subjects[key] if key < len(result.subjects) else None, groups[key]) for key in sorted(groups)]


def _summary(result: EnvironmentResult) -> str:
    return f"{result.env}: {result.count('mandatory')} mandatory, {result.count('advisory')} advisory violation(s)"


def text_report(results: list[EnvironmentResult]) -> str:
    lines: list[str] = []
    for result in results:
        lines.append(f"== {result.env}: {len(result.subjects)} resource(s) checked with {result.config_file}")
        for subject, findings in _grouped(result):
            lines.append(f"{subject.display()} ({subject.file})" if subject else f"stack {result.env}")
            for finding in findings:
                where = f" at {finding.position}" if finding.position else ""
                lines.append(f"  {finding.level} {finding.policy.name}{where}: {finding.message}")
                lines.append(f"    remediation: {finding.policy.remediation}")
        lines.append(_summary(result))
    return "\n".join(lines)


def _finding_json(finding: Finding) -> dict[str, Any]:
    subject = finding.subject
    return {
        "resource": None if subject is None else {
            "kind": subject.kind, "namespace": subject.namespace, "name": subject.name,
            "type": subject.resource.type, "urn": subject.resource.urn, "file": subject.file,
        },
        "policy": finding.policy.name,
        "level": finding.level,
        "severity": finding.policy.severity,
        "message": finding.message,
        "remediation": finding.policy.remediation,
        "position": position_json(finding.position),
    }  # fmt: skip


def json_report(results: list[EnvironmentResult]) -> str:
    return document(
        "check",
        exit_code(results),
        environments=[
            {
                "environment": result.env,
                "config": result.config_file,
                "resources": len(result.subjects),
                "mandatory": result.count("mandatory"),
                "advisory": result.count("advisory"),
                "findings": [_finding_json(finding) for _, findings in _grouped(result) for finding in findings],
            }
            for result in results
        ],
        mandatory=sum(result.count("mandatory") for result in results),
        advisory=sum(result.count("advisory") for result in results),
    )


def github_report(results: list[EnvironmentResult]) -> str:
    """`::error`/`::warning` workflow commands: annotations on the files of a pull request."""
    lines = []
    for result in results:
        for subject, findings in _grouped(result):
            for finding in findings:
                level = "error" if finding.level == "mandatory" else "warning"
                what = subject.display() if subject else f"stack {result.env}"
                body = f"{what}: {finding.message}\nremediation: {finding.policy.remediation}"
                lines.append(annotation(level, finding.position, f"{finding.policy.name} ({result.env})", body))
        lines.append(_summary(result))
    return "\n".join(lines)


def exit_code(results: list[EnvironmentResult]) -> int:
    """1 when a mandatory rule is violated (the check fails), else 0; advisory findings are shown, not fatal."""
    return 1 if any(result.count("mandatory") for result in results) else 0


def render(results: list[EnvironmentResult], output_format: str) -> str:
    return {"text": text_report, "json": json_report, "github": github_report}[output_format](results)
