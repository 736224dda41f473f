"""`modelfleet check`: run the policy pack on compiled environments or manifest files.

The pack gets every object as the resource Pulumi would register for it: type token
`kubernetes:<group>/<version>:<Kind>` (core group `core`), the object as its properties, a URN built like
Pulumi's from the stack, project and object name. Two ways to run it, with the same verdicts
(tests/test_policy_parity.py): in this process, as the SDK evaluates it (check/in_process.py, the default), or
over its real protocol, one pack process per environment as the engine starts one per stack (`--protocol grpc`,
check/analyzer_client.py); a pack that cannot be evaluated in process is driven over gRPC.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from modelfleet.compile import CompiledEnvironment
from modelfleet.build.resource_names import resource_name
from modelfleet.load.source_yaml import Path_, Position, SourceProblem, YamlDocument
from modelfleet.load.project import PROJECT_FILE, Project, SpecError
from modelfleet.check.analyzer_client import Diagnostic, PolicyInfo, PolicyPackProcess, Resource
from modelfleet.check.in_process import InProcessPack, NotInProcess
from modelfleet.build.declarations import Declarations
from modelfleet.check.manifest_files import ManifestObject, load_manifests
from modelfleet.check.pack_config import reconcile

PACK_DIR = "policies"
_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class Subject:
    """One object as checked: the resource sent to the pack and where the object came from."""

    resource: Resource
    kind: str
    namespace: str
    name: str
    file: str  # the manifest file, or the stack file the object was compiled from
    document: YamlDocument | None = None  # manifests only: positions of the object's fields
    path: Path_ = ()  # where the object sits in its document

    def display(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Finding:
    policy: PolicyInfo
    level: str
    message: str
    subject: Subject | None  # None: the stack as a whole
    position: Position | None  # the offending value: in the manifest, or in the stack files it was compiled from (see _position)


@dataclass(frozen=True)
class EnvironmentResult:
    env: str
    config_file: str
    subjects: list[Subject]
    findings: list[Finding]

    def count(self, level: str) -> int:
        return sum(1 for finding in self.findings if finding.level == level)


def type_token(api_version: str, kind: str) -> str:
    group, _, version = api_version.rpartition("/")
    return f"kubernetes:{group or 'core'}/{version}:{kind}"


def project_name(project: Project) -> str:
    settings = yaml.safe_load((project.root / PROJECT_FILE).read_text(encoding="utf-8")) or {}
    return str(settings.get("name") or project.root.name)


def subjects(objects: list[tuple[dict, str, YamlDocument | None, Path_]], stack: str, project: str) -> list[Subject]:
    """Subjects with unique URNs (two files may hold objects of the same kind and name)."""
    found = []
    seen: dict[str, int] = {}
    for data, file, document, path in objects:
        token = type_token(data["apiVersion"], data["kind"])
        name = resource_name(data)
        urn = f"urn:pulumi:{stack}::{project}::{token}::{name}"
        seen[urn] = seen.get(urn, 0) + 1
        if seen[urn] > 1:
            urn, name = f"{urn}#{seen[urn]}", f"{name}#{seen[urn]}"
        metadata = data["metadata"]
        resource = Resource(token, urn, name, data)
        found.append(Subject(resource, data["kind"], str(metadata.get("namespace") or ""), str(metadata["name"]), file, document, path))
    return found


def compiled_subjects(project: Project, compiled: CompiledEnvironment, stack_project: str) -> list[Subject]:
    shown = project.display(project.stack_file(compiled.env))
    return subjects([(obj, shown, None, ()) for obj in compiled.objects], compiled.env, stack_project)


def manifest_subjects(objects: list[ManifestObject], stack: str, stack_project: str) -> list[Subject]:
    return subjects([(obj.data, obj.document.position_of(()).file, obj.document, obj.path) for obj in objects], stack, stack_project)


def _key(node: Any, names: list[str]) -> tuple[str, int] | None:
    """The shortest run of leading names that, joined by dots, is a key of `node` (and how many it took)."""
    if isinstance(node, dict):
        for count in range(1, len(names) + 1):
            if ".".join(names[:count]) in node:
                return ".".join(names[:count]), count
    return None


def field_path(data: Any, message: str) -> Path_:
    """The path a message starts with (`spec.template.spec.containers[0]: ...`), as far as it exists in the data.

    Keys may hold dots (annotation names), so consecutive names are joined until they make a key."""
    head, separator, _ = message.partition(": ")
    if not separator or " " in head:
        return ()
    tokens: list[str | int] = [int(match[2]) if match[2] else match[1] for match in _PATH_TOKEN.finditer(head)]
    found: list[str | int] = []
    node, index = data, 0
    while index < len(tokens):
        token = tokens[index]
        if isinstance(token, int):
            if not isinstance(node, list) or token >= len(node):
                break
            node, index = node[token], index + 1
            found.append(token)
            continue
        key = _key(node, list(itertools.takewhile(lambda item: isinstance(item, str), tokens[index:])))
        if key is None:
            break
        node, index = node[key[0]], index + key[1]
        found.append(key[0])
    return tuple(found)


def _value(data: Any, path: Path_) -> Any:
    for key in path:
        data = data[key]
    return data


def _position(subject: Subject | None, rule: str, message: str, declarations: Declarations | None) -> Position | None:
    """Where the finding's value was written: in its manifest, or in the stack files of compiled objects (their
    `declarations`). None for a stack-wide finding on manifests, and for objects without a source (the rendered
    sides of `modelfleet diff`)."""
    if subject is None:
        return declarations.stack_position() if declarations is not None else None
    field = field_path(subject.resource.properties, message)
    if subject.document is not None:
        return subject.document.position_of(subject.path + field)
    if declarations is not None:
        return declarations.position(subject.resource.properties, rule, _value(subject.resource.properties, field))
    return None


def config_file(project: Project, env: str) -> Path:
    return project.root / PACK_DIR / "config" / f"{env}.json"


def open_pack(project: Project, stack_project: str, env: str, protocol: str) -> InProcessPack | PolicyPackProcess:
    """The pack of the project for one stack: in this process when asked and possible, else its own process."""
    if protocol == "in-process":
        try:
            return InProcessPack(project.root / PACK_DIR, stack_project, env)
        except NotInProcess:
            pass
    return PolicyPackProcess(project.root / PACK_DIR, stack_project, env)


def policy_config(project: Project, env: str, config: Path | None) -> tuple[Path, str]:
    """The policy config file (default: the env's) and how reports show it; a SpecError when it is missing."""
    path = config or config_file(project, env)
    shown = project.display(path) if config is None else str(config)
    if not path.is_file():
        hint = "create it (start from policies/config/dev.json)" if config is None else "check the --config path"
        raise SpecError([SourceProblem(Position(shown, 1, 1), "", f"no policy config file for environment '{env}'; {hint}")])
    return path, shown


def analyze(pack: InProcessPack | PolicyPackProcess, subjects: list[Subject], known: Mapping[str, tuple[Mapping[str, Any], list[Diagnostic]]] | None = None) -> list[list[Diagnostic]]:
    """The diagnostics of each subject; one whose URN and properties are in `known` takes them from there (resource
    policies see one resource at a time)."""
    found = []
    for subject in subjects:
        same = (known or {}).get(subject.resource.urn)
        found.append(same[1] if same is not None and same[0] == subject.resource.properties else pack.analyze(subject.resource))
    return found


def findings(policies: Mapping[str, PolicyInfo], subjects: list[Subject], diagnostics: list[Diagnostic], declarations: Declarations | None) -> list[Finding]:
    by_urn = {subject.resource.urn: subject for subject in subjects}
    found = []
    for diagnostic in diagnostics:
        subject = by_urn.get(diagnostic.urn)
        position = _position(subject, diagnostic.policy, diagnostic.message, declarations)
        found.append(Finding(policies[diagnostic.policy], diagnostic.level, diagnostic.message, subject, position))
    return found


def run_pack(project: Project, stack_project: str, env: str, subjects: list[Subject], config: Path | None, declarations: Declarations | None = None, protocol: str = "in-process") -> EnvironmentResult:
    """Analyze every subject, then the stack, with the policy config (default: the env's); a pack process stops in any
    case. `declarations` locates the findings on compiled subjects."""
    path, shown = policy_config(project, env, config)
    with open_pack(project, stack_project, env, protocol) as pack:
        pack.configure(reconcile(path, shown, pack.policies))
        diagnostics = [diagnostic for found in analyze(pack, subjects) for diagnostic in found]
        diagnostics += pack.analyze_stack([subject.resource for subject in subjects])
        policies = pack.policies
    return EnvironmentResult(env, shown, subjects, findings(policies, subjects, diagnostics, declarations))


def check_environments(project: Project, compiled: list[CompiledEnvironment], config: Path | None = None, protocol: str = "in-process") -> list[EnvironmentResult]:
    stack_project = project_name(project)
    results = []
    for item in compiled:
        declarations = Declarations.of(item.loaded, item.built())
        results.append(run_pack(project, stack_project, item.env, compiled_subjects(project, item, stack_project), config, declarations, protocol))
    return results


def check_manifests(project: Project, paths: list[Path], env: str, config: Path | None = None, protocol: str = "in-process") -> EnvironmentResult:
    stack_project = project_name(project)
    return run_pack(project, stack_project, env, manifest_subjects(load_manifests(paths), env, stack_project), config, protocol=protocol)
