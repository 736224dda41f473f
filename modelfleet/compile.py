"""The offline pipeline shared by the commands: load -> spec -> plan -> manifests -> strict schema check."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from modelfleet.build.environment import Origin, built_objects
from modelfleet.build.gitops import build_gitops, gitops_target, name_problem
from modelfleet.schemas.validate import ManifestSchemas, ManifestSchemaError
from modelfleet.load.merge import locate
from modelfleet.build.notices import environment_notices
from modelfleet.plan import EnvironmentPlan
from modelfleet.resolve.environment import resolve
from modelfleet.load.source_yaml import Position, SourceProblem
from modelfleet.load.project import Project, SpecError
from modelfleet.spec.stack_loader import LoadedStack, load_stack

CRD_DIR_VARIABLE = "MODELFLEET_CRD_DIR"


@dataclass(frozen=True)
class CompiledEnvironment:
    env: str
    plan: EnvironmentPlan
    objects: list[dict]
    notices: list[str]
    gitops_objects: list[dict] = field(default_factory=list)
    """Argo CD / Flux objects for rendered/<env>/gitops/: rendered only, never registered by Pulumi nor checked
    by the policy pack (they are not part of `objects`)."""
    loaded: LoadedStack | None = None
    """The spec and where each of its values was written: `modelfleet check` locates findings with it."""
    origins: list[Origin] = field(default_factory=list)
    """The stack entry each of `objects` is built from (same order): where a finding on it is located."""

    def built(self) -> list[tuple[dict, Origin]]:
        return list(zip(self.objects, self.origins))


def crd_directory(given: Path | None) -> Path | None:
    """--crds, else $MODELFLEET_CRD_DIR, else None: the schemas vendored in the package."""
    if given is not None:
        return given
    if os.environ.get(CRD_DIR_VARIABLE):
        return Path(os.environ[CRD_DIR_VARIABLE])
    return None


def load_schemas(given: Path | None) -> ManifestSchemas:
    """The vendored upstream schemas, or those of a CRD directory the user points at (another KServe version)."""
    directory = crd_directory(given)
    if directory is None:
        return ManifestSchemas.vendored()
    try:
        return ManifestSchemas.from_crd_dir(directory)
    except ManifestSchemaError as error:
        hint = f"unset {CRD_DIR_VARIABLE} to use the vendored schemas" if given is None else "drop --crds to use the vendored schemas"
        raise SpecError([SourceProblem(Position(str(directory), 1, 1), "", f"{error}; point --crds or {CRD_DIR_VARIABLE} at a directory of CRD YAML files, or {hint}")]) from None


def schema_problems(loaded: LoadedStack, built: list[tuple[dict, Origin]], schemas: ManifestSchemas) -> list[SourceProblem]:
    """Strict upstream-schema problems of the built objects, located at the stack-file value they come from (a
    label where it is written, else the model, runtime, cluster or storage entry the object is built from)."""
    problems = [(obj, problem) for obj, _ in built for problem in schemas.validate(obj)]
    if not problems:
        return []
    from modelfleet.build.declarations import Declarations  # locating is only needed when a check fails

    declarations = Declarations.of(loaded, built)
    return [SourceProblem(declarations.schema_position(obj, problem.path), "", f"built {problem}") for obj, problem in problems]


def gitops_objects(project: Project, loaded: LoadedStack, plan: EnvironmentPlan) -> tuple[list[dict], list[SourceProblem]]:
    """The environment's GitOps engine objects (none without modelfleet:gitops), or the problem that prevents them;
    the caller validates them with the environment's objects against the upstream Argo CD / Flux schemas."""
    spec = loaded.spec.gitops
    if spec is None:
        return [], []
    target = gitops_target(spec, loaded.env, plan)
    unusable = name_problem(target)
    if unusable is not None:
        return [], [SourceProblem(locate(loaded.provenance, ("gitops",)), "gitops", unusable)]
    return build_gitops(target), []


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
            loaded = load_stack(project, env)
            plan = resolve(loaded)
        except SpecError as error:
            problems.extend(error.problems)
            continue
        built = built_objects(plan)
        objects = [obj for obj, _ in built]
        engine_objects, found = gitops_objects(project, loaded, plan)
        problems.extend(found)
        if schemas is not None:
            problems.extend(schema_problems(loaded, built + [(obj, None) for obj in engine_objects], schemas))
        compiled.append(CompiledEnvironment(env, plan, objects, environment_notices(plan, objects), engine_objects, loaded, [origin for _, origin in built]))
    if problems:
        raise SpecError(problems)
    return compiled
