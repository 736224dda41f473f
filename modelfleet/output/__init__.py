"""What the commands print for CI and editors, the same for every command: the versioned JSON envelope (described
by output.schema.json beside this file), problems as JSON, and GitHub workflow annotations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modelfleet.load.source_yaml import Position, SourceProblem

FORMAT_VERSION = 1
"""Raised when a field changes meaning or disappears; new fields may be added within a version."""
SCHEMA_FILE = Path(__file__).resolve().parent / "output.schema.json"


Problem = SourceProblem | str
"""A located problem of the input, or an error without a place in it (a directory that cannot be written, ...)."""


def document(command: str, exit_code: int, problems: list[Problem] | None = None, **fields: Any) -> str:
    """The JSON output of `command`: format version, command and exit code first, then its own fields."""
    head = {"formatVersion": FORMAT_VERSION, "command": command, "exitCode": exit_code}
    return json.dumps({**head, **fields, "problems": [problem_json(problem) for problem in problems or []]}, indent=2, ensure_ascii=False)


def position_json(position: Position | None) -> dict[str, Any] | None:
    return None if position is None else {"file": position.file, "line": position.line, "column": position.column}


def problem_json(problem: Problem) -> dict[str, Any]:
    if isinstance(problem, str):
        return {"position": None, "path": "", "message": problem}
    return {"position": position_json(problem.position), "path": problem.path, "message": problem.message}


def _escape(text: str, *, property_value: bool = False) -> str:
    """GitHub workflow command escaping (values of file=/title= also escape ':' and ',')."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def annotation(level: str, position: Position | None, title: str, message: str) -> str:
    """`::error file=F,line=L,col=C,title=T::message` (level error or warning); without a position, unlocated."""
    properties = [] if position is None else [f"file={_escape(position.file, property_value=True)}", f"line={position.line}", f"col={position.column}"]
    properties.append(f"title={_escape(title, property_value=True)}")
    return f"::{level} {','.join(properties)}::{_escape(message)}"


def problem_annotation(problem: Problem, command: str) -> str:
    if isinstance(problem, str):
        return annotation("error", None, f"modelfleet {command}", problem)
    message = f"{problem.path}: {problem.message}" if problem.path else problem.message
    return annotation("error", problem.position, f"modelfleet {command}", message)
