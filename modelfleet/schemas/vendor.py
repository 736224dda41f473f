"""The upstream CRD schemas the package carries as data (``modelfleet/schemas/vendored/``).

The project must work from a bare clone, so it does not read the upstream CustomResourceDefinition files at run
time: :func:`import_schemas` copies what validation needs out of them into the package, and the committed result
is what :meth:`ManifestSchemas.vendored() <modelfleet.schemas.validate.ManifestSchemas.vendored>` reads.

``vendored/`` holds:

* ``sources.yaml`` (hand-maintained, never written here): for each upstream file in the CRD directory, the
  upstream project, repository, release tag, commit, path in the repository, git blob id and SHA-256.  The
  import refuses a CRD file that is not listed there or whose bytes do not match.
* ``<group>_<version>_<Kind>.json``, one per served version of every ``apiextensions.k8s.io/v1``
  CustomResourceDefinition: ``group``, ``version``, ``kind``, ``plural``, ``namespaced``, ``storage``,
  ``source`` (the file it came from) and ``schema``, the version's ``openAPIV3Schema`` with every
  ``description`` keyword removed (the upstream prose; a *property named* ``description`` is kept).
* ``index.json``: every vendored (apiVersion, kind) with its file, scope and plural, so that indexing the
  schemas reads a few kilobytes; a kind's schema file is read when the kind is first validated.
* ``provenance.json``: for each source file, the facts of ``sources.yaml`` plus its size and the
  (apiVersion, kind) pairs taken from it.

Every JSON file is written compactly with sorted keys and a trailing newline, so an import of the same files
gives the same bytes (the drift test compares them with a fresh import of the upstream CRD folder when it is beside
the project).

:func:`write_crd_documents` turns the vendored data back into CustomResourceDefinition YAML files, for tools
that only read a directory of CRD files (an older modelfleet's ``--crds DIR``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "INDEX_FILE",
    "PROVENANCE_FILE",
    "SOURCES_FILE",
    "VENDORED_DIR",
    "SchemaImportError",
    "VendoredKind",
    "crd_documents",
    "import_schemas",
    "provenance",
    "strip_descriptions",
    "vendored_kinds",
    "versions_summary",
    "write_crd_documents",
]

VENDORED_DIR = Path(__file__).resolve().parent / "vendored"
SOURCES_FILE = VENDORED_DIR / "sources.yaml"
INDEX_FILE = "index.json"
PROVENANCE_FILE = "provenance.json"

_CRD_API_VERSION = "apiextensions.k8s.io/v1"
_SOURCE_FIELDS = ("file", "project", "repository", "tag", "commit", "path", "blob", "sha256")

# Schema keywords whose value is a map of schemas, a list of schemas, or one schema (or a list, or a boolean).
_SCHEMA_MAP_KEYS = frozenset({"properties", "patternProperties", "definitions", "$defs", "dependentSchemas"})
_SCHEMA_LIST_KEYS = frozenset({"anyOf", "allOf", "oneOf", "prefixItems"})
_SCHEMA_ONE_KEYS = frozenset(
    {"additionalProperties", "items", "not", "additionalItems", "contains", "propertyNames", "if", "then", "else"}
)


class SchemaImportError(ValueError):
    """The CRD directory cannot be imported (unlisted or modified file, bad YAML, a kind defined twice, ...)."""


# ---------------------------------------------------------------------------
# Schema cleaning


def strip_descriptions(node: Any) -> Any:
    """Copy of a JSON schema without the ``description`` keyword of any schema node.

    Only schema nodes are cleaned: the keys of ``properties`` (and other maps of schemas) are property names, so
    a property called ``description`` stays; values of other keywords (``default``, ``enum``, ``example``,
    ``x-kubernetes-validations``, ...) are data and are copied unchanged."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "description":
            continue
        if key in _SCHEMA_MAP_KEYS and isinstance(value, dict):
            out[key] = {name: strip_descriptions(sub) for name, sub in value.items()}
        elif key in _SCHEMA_LIST_KEYS and isinstance(value, list):
            out[key] = [strip_descriptions(sub) for sub in value]
        elif key in _SCHEMA_ONE_KEYS and isinstance(value, (dict, list)):
            out[key] = [strip_descriptions(s) for s in value] if isinstance(value, list) else strip_descriptions(value)
        else:
            out[key] = value
    return out


def _dumps(data: Any) -> bytes:
    return (json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")


def _kind_file(group: str, version: str, kind: str) -> str:
    return f"{group}_{version}_{kind}.json"


# ---------------------------------------------------------------------------
# Import


def _read_sources(sources_file: Path) -> list[dict[str, str]]:
    try:
        data = yaml.safe_load(sources_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SchemaImportError(f"cannot read the sources file {sources_file}: {' '.join(str(exc).split())}") from exc
    entries = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise SchemaImportError(f"{sources_file}: expected a mapping with a 'sources' list")
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise SchemaImportError(f"{sources_file}: sources[{i}] is not a mapping")
        missing = [f for f in _SOURCE_FIELDS if not isinstance(entry.get(f), str) or not entry[f]]
        if missing:
            raise SchemaImportError(f"{sources_file}: sources[{i}] lacks {', '.join(missing)} (non-empty strings)")
        extra = sorted(set(entry) - set(_SOURCE_FIELDS))
        if extra:
            raise SchemaImportError(f"{sources_file}: sources[{i}] has unknown field(s) {', '.join(extra)}")
        if entry["file"] in seen:
            raise SchemaImportError(f"{sources_file}: {entry['file']} is listed twice")
        seen.add(entry["file"])
        out.append({f: entry[f] for f in _SOURCE_FIELDS})
    return out


def _git_blob(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git's object id, not security


def _crd_documents(rel: str, text: str) -> list[dict]:
    try:
        docs = list(yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except yaml.YAMLError as exc:
        raise SchemaImportError(f"{rel}: not valid YAML: {' '.join(str(exc).split())}") from exc
    return [
        d for d in docs
        if isinstance(d, dict) and d.get("apiVersion") == _CRD_API_VERSION and d.get("kind") == "CustomResourceDefinition"
    ]


def import_schemas(crd_dir: Path, dest: Path = VENDORED_DIR, sources: Path = SOURCES_FILE) -> list[str]:
    """Import the schema of every served version of every CRD under ``crd_dir`` into ``dest``.

    Every ``*.yaml``/``*.yml`` file under ``crd_dir`` that holds a CustomResourceDefinition must be listed in
    ``sources`` with its SHA-256 (and git blob id), and every listed file must be present; otherwise nothing is
    written and :class:`SchemaImportError` says which file and what to do.  Writes the kind files,
    ``index.json`` and ``provenance.json`` (through a temporary directory beside ``dest``, then one rename per
    file), leaves unchanged files alone, removes vendored JSON files no longer produced, and never touches
    ``sources.yaml`` or files that are not JSON.  Returns one line per file written, kept or removed."""
    crd_dir = Path(crd_dir)
    dest = Path(dest)
    if not crd_dir.is_dir():
        raise SchemaImportError(f"CRD directory not found: {crd_dir}")
    listed = _read_sources(Path(sources))
    by_file = {entry["file"]: entry for entry in listed}

    problems: list[str] = []
    found: dict[str, tuple[bytes, list[dict]]] = {}
    files = sorted(
        (p for p in crd_dir.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()),
        key=lambda p: p.relative_to(crd_dir).as_posix(),
    )
    for path in files:
        rel = path.relative_to(crd_dir).as_posix()
        try:
            data = path.read_bytes()
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{rel}: cannot read: {exc}")
            continue
        entry = by_file.get(rel)
        if entry is None:
            if "CustomResourceDefinition" in text and _crd_documents(rel, text):
                problems.append(
                    f"{rel}: not listed in {sources}; if it is an unmodified upstream file, add its project, "
                    f"repository, tag, commit, path, blob and sha256 ({hashlib.sha256(data).hexdigest()}) there, "
                    f"else remove it from {crd_dir}"
                )
            continue
        digest, blob = hashlib.sha256(data).hexdigest(), _git_blob(data)
        if digest != entry["sha256"] or blob != entry["blob"]:
            problems.append(
                f"{rel}: sha256 {digest} (blob {blob}) does not match {sources} (sha256 {entry['sha256']}, blob "
                f"{entry['blob']}); restore the upstream file, or, if it was replaced by a newer upstream copy on "
                f"purpose, record its tag, commit, path, blob and sha256 in {sources.name} and import again"
            )
            continue
        crds = _crd_documents(rel, text)
        if not crds:
            problems.append(f"{rel}: listed in {sources.name} but holds no {_CRD_API_VERSION} CustomResourceDefinition")
            continue
        found[rel] = (data, crds)
    for entry in listed:
        if entry["file"] not in found and not (crd_dir / entry["file"]).is_file():
            problems.append(f"{entry['file']}: listed in {sources} but not found in {crd_dir}; "
                            f"add the file or remove its entry")
    if problems:
        raise SchemaImportError("nothing imported:\n" + "\n".join(f"  {p}" for p in problems))

    outputs: dict[str, bytes] = {}
    index: list[dict[str, Any]] = []
    prov: list[dict[str, Any]] = []
    owners: dict[tuple[str, str], str] = {}
    for entry in listed:  # sources.yaml order: the order of `modelfleet --version`
        rel = entry["file"]
        data, crds = found[rel]
        kinds: list[list[str]] = []
        for crd in crds:
            spec = crd.get("spec") if isinstance(crd.get("spec"), dict) else {}
            names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
            group, kind = spec.get("group"), names.get("kind")
            if not isinstance(group, str) or not isinstance(kind, str) or not group or not kind:
                raise SchemaImportError(f"{rel}: CustomResourceDefinition without spec.group/spec.names.kind")
            if (group, kind) in owners:
                raise SchemaImportError(f"{kind}.{group} is defined twice: in {owners[(group, kind)]} and in {rel}; keep one")
            owners[(group, kind)] = rel
            plural = names.get("plural") if isinstance(names.get("plural"), str) else kind.lower() + "s"
            namespaced = spec.get("scope", "Namespaced") != "Cluster"
            for version in spec.get("versions") or []:
                if not (isinstance(version, dict) and version.get("served") is True and isinstance(version.get("name"), str)):
                    continue
                schema = (version.get("schema") or {}).get("openAPIV3Schema")
                if not isinstance(schema, dict):
                    raise SchemaImportError(f"{rel}: {kind} {group}/{version['name']} has no schema.openAPIV3Schema")
                name = _kind_file(group, version["name"], kind)
                outputs[name] = _dumps(
                    {
                        "group": group,
                        "version": version["name"],
                        "kind": kind,
                        "plural": plural,
                        "namespaced": namespaced,
                        "storage": version.get("storage") is True,
                        "source": rel,
                        "schema": strip_descriptions(schema),
                    }
                )
                api_version = f"{group}/{version['name']}"
                kinds.append([api_version, kind])
                index.append(
                    {"apiVersion": api_version, "kind": kind, "file": name, "group": group, "version": version["name"],
                     "plural": plural, "namespaced": namespaced, "storage": version.get("storage") is True}
                )
        prov.append({**{f: entry[f] for f in _SOURCE_FIELDS}, "bytes": len(data), "kinds": sorted(kinds)})
    if not index:
        raise SchemaImportError(f"no served CustomResourceDefinition version found in {crd_dir}")
    index.sort(key=lambda e: (e["apiVersion"], e["kind"]))
    outputs[INDEX_FILE] = _dumps({"kinds": index})
    outputs[PROVENANCE_FILE] = _dumps({"sources": prov})
    return _write_outputs(dest, outputs)


def _write_outputs(dest: Path, outputs: dict[str, bytes]) -> list[str]:
    dest.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    stage = Path(tempfile.mkdtemp(prefix=".vendored-", dir=dest.parent))
    try:
        changed: list[str] = []
        for name in sorted(outputs):
            target = dest / name
            if target.is_file() and target.read_bytes() == outputs[name]:
                lines.append(f"unchanged {name} ({len(outputs[name]):,} bytes)")
                continue
            (stage / name).write_bytes(outputs[name])
            changed.append(name)
        for name in changed:  # everything is staged: now one rename per file
            os.replace(stage / name, dest / name)
            lines.append(f"wrote {name} ({len(outputs[name]):,} bytes)")
        for stale in sorted(p for p in dest.glob("*.json") if p.name not in outputs):
            stale.unlink()
            lines.append(f"removed {stale.name} (no longer produced)")
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    lines.sort(key=lambda line: line.split(" ", 1)[1])
    total = sum(len(b) for b in outputs.values())
    lines.append(f"{len(outputs)} files, {total:,} bytes in {dest}")
    return lines


# ---------------------------------------------------------------------------
# Reading the vendored data


@dataclass(frozen=True)
class VendoredKind:
    api_version: str
    kind: str
    group: str
    version: str
    plural: str
    namespaced: bool
    storage: bool
    file: Path

    def load(self) -> dict:
        """The whole vendored record (group, version, kind, plural, namespaced, storage, source, schema)."""
        return _load_json(self.file)


def _load_json(path: Path) -> Any:
    try:
        with path.open("rb") as fh:
            return json.load(fh)
    except (OSError, ValueError) as exc:
        raise SchemaImportError(
            f"cannot read vendored schema data {path}: {' '.join(str(exc).split())}; the package is incomplete "
            f"(reinstall it, or import the schemas again)"
        ) from exc


@functools.lru_cache(maxsize=8)
def _vendored_kinds_cached(directory: str, _stamp: tuple[int, int]) -> tuple[VendoredKind, ...]:
    base = Path(directory)
    data = _load_json(base / INDEX_FILE)
    return tuple(
        VendoredKind(e["apiVersion"], e["kind"], e["group"], e["version"], e["plural"], e["namespaced"], e["storage"],
                     base / e["file"])
        for e in data["kinds"]
    )


def vendored_kinds(directory: Path = VENDORED_DIR) -> tuple[VendoredKind, ...]:
    """Every vendored CRD kind version, sorted by (apiVersion, kind); reads only ``index.json``."""
    index = Path(directory) / INDEX_FILE
    try:
        stat = index.stat()
    except OSError:
        stat = None
    return _vendored_kinds_cached(str(directory), (stat.st_mtime_ns, stat.st_size) if stat else (0, 0))


def provenance(directory: Path = VENDORED_DIR) -> list[dict[str, Any]]:
    """The provenance entries: file, project, repository, tag, commit, path, blob, sha256, bytes and kinds
    (a list of [apiVersion, kind]) of each upstream CRD file the vendored schemas come from."""
    return _load_json(Path(directory) / PROVENANCE_FILE)["sources"]


def versions_summary(directory: Path = VENDORED_DIR) -> str:
    """One line naming each upstream project and release, e.g. ``KServe v0.20.0, Knative Serving knative-v1.23.0,
    KubeRay v1.7.0, Argo CD v3.5.1, Flux controllers v1.9.1`` (several releases of one project are joined by '/')."""
    tags: dict[str, list[str]] = {}
    for entry in provenance(directory):
        project_tags = tags.setdefault(entry["project"], [])
        if entry["tag"] not in project_tags:
            project_tags.append(entry["tag"])
    return ", ".join(f"{project} {'/'.join(t)}" for project, t in tags.items())


# ---------------------------------------------------------------------------
# CRD documents from the vendored data


def crd_documents(directory: Path = VENDORED_DIR) -> list[dict]:
    """One CustomResourceDefinition per vendored (group, kind), with its vendored versions, sorted by name."""
    grouped: dict[tuple[str, str], list[VendoredKind]] = {}
    for entry in vendored_kinds(directory):
        grouped.setdefault((entry.group, entry.kind), []).append(entry)
    docs: list[dict] = []
    for (group, kind), entries in grouped.items():
        first = entries[0]
        versions = [
            {
                "name": e.version,
                "served": True,
                "storage": e.storage,
                "schema": {"openAPIV3Schema": e.load()["schema"]},
            }
            for e in sorted(entries, key=lambda e: e.version)
        ]
        docs.append(
            {
                "apiVersion": _CRD_API_VERSION,
                "kind": "CustomResourceDefinition",
                "metadata": {"name": f"{first.plural}.{group}"},
                "spec": {
                    "group": group,
                    "names": {"kind": kind, "plural": first.plural},
                    "scope": "Namespaced" if first.namespaced else "Cluster",
                    "versions": versions,
                },
            }
        )
    docs.sort(key=lambda d: d["metadata"]["name"])
    return docs


def write_crd_documents(dest_dir: Path, directory: Path = VENDORED_DIR) -> list[Path]:
    """Write one ``<plural>.<group>.yaml`` CustomResourceDefinition file per vendored CRD into ``dest_dir``.

    Block-style YAML with sorted keys, so ``schema:`` stands on its own line: readers that cut the
    ``schema:`` blocks out textually to index a CRD directory quickly (modelfleet's ``from_crd_dir``, also in
    older releases) read these files as they read upstream ones.  Returns the paths written."""
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    written: list[Path] = []
    for doc in crd_documents(directory):
        path = dest_dir / f"{doc['metadata']['name']}.yaml"
        text = yaml.dump(doc, Dumper=dumper, default_flow_style=False, sort_keys=True, allow_unicode=True, width=4096)
        path.write_text("---\n" + text, encoding="utf-8")
        written.append(path)
    return written

