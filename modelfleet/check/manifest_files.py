"""Kubernetes objects from YAML files and directories (multi-document files and `kind: List` included).

Made for manifests other tools produced, so every object keeps its source document and path: findings
point at file:line:col, and a file that is not a set of Kubernetes objects is reported the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelfleet.load.source_yaml import Path_, Position, SourceProblem, YamlDocument, YamlSourceError, load_yaml_documents_file
from modelfleet.load.project import SpecError

SUFFIXES = (".yaml", ".yml")
# Build inputs, not cluster objects: kustomize's files (e.g. a rendered/<env>/kustomization.yaml).
NOT_OBJECTS = ("kustomize.config.k8s.io/",)
STDIN = Path("-")  # read the manifests from standard input (`kustomize build ... | modelfleet check --manifests -`)
STDIN_NAME = "<stdin>"


@dataclass(frozen=True)
class ManifestObject:
    data: dict
    document: YamlDocument
    path: Path_  # where the object is inside its document: () or ("items", n)


def manifest_files(paths: list[Path]) -> tuple[list[Path], list[SourceProblem]]:
    """The YAML files named or found (recursively, sorted) in the directories named; `-` is standard input."""
    files: list[Path] = []
    problems: list[SourceProblem] = []
    for path in paths:
        if path == STDIN:
            files.append(path)
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
            if not found:
                problems.append(SourceProblem(Position(str(path), 1, 1), "", "directory holds no .yaml or .yml file"))
            files += found
        elif path.is_file():
            files.append(path)
        else:
            problems.append(SourceProblem(Position(str(path), 1, 1), "", "no such file or directory"))
    return files, problems


def _objects(document: YamlDocument, data: Any, path: Path_, problems: list[SourceProblem]) -> list[ManifestObject]:
    where = document.position_of(path)
    if not isinstance(data, dict):
        problems.append(SourceProblem(where, "", "expected a Kubernetes object (a mapping with apiVersion, kind and metadata)"))
        return []
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if isinstance(api_version, str) and api_version.startswith(NOT_OBJECTS):
        return []
    if kind == "List" and api_version == "v1" and isinstance(data.get("items"), list):
        return [found for index, item in enumerate(data["items"]) for found in _objects(document, item, (*path, "items", index), problems)]
    missing = [field for field in ("apiVersion", "kind") if not isinstance(data.get(field), str) or not data.get(field)]
    metadata = data.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata.get("name"):
        missing.append("metadata.name")
    if missing:
        problems.append(SourceProblem(where, "", f"not a Kubernetes object: {', '.join(missing)} missing or not a string; every document must have apiVersion, kind and metadata.name"))
        return []
    return [ManifestObject(data, document, path)]


def load_manifests(paths: list[Path]) -> list[ManifestObject]:
    """Every object of every file, in file and document order. Raises SpecError with all problems."""
    files, problems = manifest_files(paths)
    objects: list[ManifestObject] = []
    for file in files:
        try:
            documents = load_yaml_documents_file("/dev/stdin", STDIN_NAME) if file == STDIN else load_yaml_documents_file(file)
        except YamlSourceError as error:
            problems += error.problems
            continue
        for document in documents:
            if document.data is not None:  # an empty document (a trailing ---) holds nothing
                objects += _objects(document, document.data, (), problems)
    if problems:
        raise SpecError(problems)
    return objects
