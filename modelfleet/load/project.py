"""A modelfleet project on disk (the directory holding Pulumi.yaml, its stack config directory) and the error
that carries located problems of bad input."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from modelfleet.load.source_yaml import Position, SourceProblem, YamlSourceError, load_yaml_file

PROJECT_FILE = "Pulumi.yaml"
SHARED_FILE = "shared.yaml"


class SpecError(Exception):
    """Bad input: every problem found, each located in a source file, in file order."""

    def __init__(self, problems: list[SourceProblem]):
        unique = list(dict.fromkeys(problems))  # a problem of stacks/shared.yaml is found once per environment
        super().__init__(f"{len(unique)} problem(s)")
        self.problems = sorted(unique, key=lambda p: (p.position.file, p.position.line, p.position.column))


@dataclass(frozen=True)
class Project:
    """A modelfleet project: the directory holding Pulumi.yaml, and its stack config directory."""

    root: Path
    stacks_dir: Path

    @classmethod
    def find(cls, start: Path) -> "Project":
        """The nearest directory from `start` upward that holds Pulumi.yaml (as the pulumi CLI does)."""
        for directory in (start.resolve(), *start.resolve().parents):
            if (directory / PROJECT_FILE).is_file():
                return cls.at(directory)
        raise SpecError([SourceProblem(Position(str(start), 1, 1), "", f"no {PROJECT_FILE} here or above; run inside a modelfleet project or pass --project DIR")])

    @classmethod
    def at(cls, root: Path) -> "Project":
        project_file = root / PROJECT_FILE
        if not project_file.is_file():
            raise SpecError([SourceProblem(Position(str(project_file), 1, 1), "", f"{PROJECT_FILE} not found; pass the project directory")])
        try:
            document = load_yaml_file(project_file, PROJECT_FILE)
        except YamlSourceError as error:
            raise SpecError(error.problems) from None
        settings = document.data
        if not isinstance(settings, dict):
            raise SpecError([SourceProblem(document.positions[()], "", "expected a mapping (name, runtime, stackConfigDir, ...) as Pulumi reads it; fix Pulumi.yaml")])
        directory = settings.get("stackConfigDir", ".")
        if not isinstance(directory, str) or not directory or Path(directory).is_absolute() or ".." in Path(directory).parts:
            where = document.value_position_of(("stackConfigDir",))
            raise SpecError([SourceProblem(where, "stackConfigDir", "expected a relative directory inside the project, such as stacks; fix it")])
        return cls(root, root / directory)

    def stack_file(self, env: str) -> Path:
        return self.stacks_dir / f"Pulumi.{env}.yaml"

    def environments(self) -> list[str]:
        """Every stack with a config file, sorted."""
        return sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in self.stacks_dir.glob("Pulumi.*.yaml"))

    def display(self, path: Path) -> str:
        """A path as shown in messages: relative to the project root."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)
