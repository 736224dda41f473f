"""The check report: readable text grouped by resource, JSON, or GitHub workflow annotations."""

from __future__ import annotations

import json
from typing import Any

from modelfleet.check.check import EnvironmentResult, Finding, Subject



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
    position = finding.position
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
        "position": None if position is None else {"file": position.file, "line": position.line, "column": position.column},
    }  # fmt: skip


def json_report(results: list[EnvironmentResult]) -> str:
    document = {
        "environments": [
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
        "mandatory": sum(result.count("mandatory") for result in results),
        "advisory": sum(result.count("advisory") for result in results),
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _escape(text: str, *, property_value: bool = False) -> str:
    """GitHub workflow command escaping (values of file=/title= also escape ':' and ',')."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def github_report(results: list[EnvironmentResult]) -> str:
    """`::error`/`::warning` workflow commands: annotations on the files of a pull request."""
    lines = []
    for result in results:
        for subject, findings in _grouped(result):
            for finding in findings:
                command = "error" if finding.level == "mandatory" else "warning"
                properties = []
                if finding.position is not None:
                    position = finding.position
                    properties += [f"file={_escape(position.file, property_value=True)}", f"line={position.line}", f"col={position.column}"]
                elif subject is not None:
                    properties.append(f"file={_escape(subject.file, property_value=True)}")
                properties.append(f"title={_escape(f'{finding.policy.name} ({result.env})', property_value=True)}")
                what = subject.display() if subject else f"stack {result.env}"
                body = f"{what}: {finding.message}\nremediation: {finding.policy.remediation}"
                lines.append(f"::{command} {','.join(properties)}::{_escape(body)}")
        lines.append(_summary(result))
    return "\n".join(lines)


def render(results: list[EnvironmentResult], output_format: str) -> str:
    return {"text": text_report, "json": json_report, "github": github_report}[output_format](results)
