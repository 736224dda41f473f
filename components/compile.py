"""The offline pipeline shared by the commands: load -> spec -> plan -> manifests -> strict schema check."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .builders.environment import build_environment
from .manifest_schema import ManifestSchemas, ManifestSchemaError
from .notices import environment_notices
from .plan import EnvironmentPlan
from .resolve import resolve
from .source_yaml import Position, SourceProblem
from .stack_files import Project, SpecError, load_stack

CRD_DIR_VARIABLE = "MODELFLEET_CRD_DIR"


@dataclass(frozen=True)
class CompiledEnvironment:
    env: str
    plan: EnvironmentPlan
    objects: list[dict]
    notices: list[str]


def crd_directory(project: Project, given: Path | None) -> Path:
    """--crds, else $MODELFLEET_CRD_DIR, else ../shared/crds beside the project."""
    if given is not None:
        return given
    if os.environ.get(CRD_DIR_VARIABLE):
        return Path(os.environ[CRD_DIR_VARIABLE])
    return project.root.parent / "shared" / "crds"


def load_schemas(project: Project, given: Path | None) -> ManifestSchemas:
    directory = crd_directory(project, given)
    try:
        return ManifestSchemas.from_crd_dir(directory)
    except ManifestSchemaError as error:
        raise SpecError([SourceProblem(Position(str(directory), 1, 1), "", f"{error}; pass --crds DIR or set {CRD_DIR_VARIABLE}")]) from None


def schema_problems(project: Project, env: str, objects: list[dict], schemas: ManifestSchemas) -> list[SourceProblem]:
    """Strict upstream-schema problems of the built objects, reported against the stack file."""
    where = Position(project.display(project.stack_file(env)), 1, 1)
    return [SourceProblem(where, "", f"built {problem}") for obj in objects for problem in schemas.validate(obj)]


def compile_environments(project: Project, envs: list[str], schemas: ManifestSchemas | None) -> list[CompiledEnvironment]:
    """Compile every environment; raises SpecError with the problems of all of them at once."""
    problems: list[SourceProblem] = []
    compiled = []
    known = set(project.environments())
    for env in envs:
        if env not in known:
            listed = ", ".join(sorted(known)) or "none"
            problems.append(SourceProblem(Position(project.display(project.stack_file(env)), 1, 1), "", f"no stack file for environment '{env}'; environments: {listed}"))
            continue
        try:
            plan = resolve(load_stack(project, env))
        except SpecError as error:
            problems.extend(error.problems)
            continue
        objects = build_environment(plan)
        if schemas is not None:
            problems.extend(schema_problems(project, env, objects, schemas))
        compiled.append(CompiledEnvironment(env, plan, objects, environment_notices(plan, objects)))
    if problems:
        raise SpecError(problems)
    return compiled
