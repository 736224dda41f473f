"""Tests for modelfleet.schemas.vendor: the upstream CRD schemas carried by the package as data."""

from __future__ import annotations

import copy
import hashlib
import json
import random
import re
from pathlib import Path

import pytest
import yaml

from modelfleet.schemas import vendor
from modelfleet.schemas.validate import ManifestSchemas, _strip_schema_blocks
from modelfleet.schemas.vendor import (
    SOURCES_FILE,
    VENDORED_DIR,
    SchemaImportError,
    import_schemas,
    provenance,
    strip_descriptions,
    versions_summary,
    write_crd_documents,
)
from tests.test_manifest_schema import _corpus, _mutations

ROOT = Path(__file__).resolve().parents[1]
SHARED_CRDS = ROOT.parent / "shared" / "crds"


# ---------------------------------------------------------------------------
# The committed data


def test_vendored_data_matches_the_upstream_crds(tmp_path: Path) -> None:
    """Drift test: importing ../shared/crds again gives exactly the committed files."""
    if not SHARED_CRDS.is_dir():
        pytest.skip("../shared/crds is not beside the project: nothing to compare the vendored schemas with")
    out = tmp_path / "vendored"
    import_schemas(SHARED_CRDS, out)
    produced = {p.name: p.read_bytes() for p in out.iterdir()}
    committed = {p.name: p.read_bytes() for p in VENDORED_DIR.iterdir() if p.name != SOURCES_FILE.name}
    assert sorted(produced) == sorted(committed), "files differ: run the schemas import and commit the result"
    stale = sorted(name for name in produced if produced[name] != committed[name])
    assert stale == [], f"out of date: {stale}; run the schemas import and commit the result"


def test_provenance_and_summary() -> None:
    entries = provenance()
    sources = yaml.safe_load(SOURCES_FILE.read_text(encoding="utf-8"))["sources"]
    assert [e["file"] for e in entries] == [s["file"] for s in sources]
    assert len(entries) == 14
    for entry, source in zip(entries, sources):
        assert {k: entry[k] for k in source} == source
        assert entry["repository"].startswith("https://github.com/")
        assert entry["bytes"] > 1000 and len(entry["sha256"]) == 64 and entry["kinds"]
    kinds = sorted(tuple(k) for e in entries for k in e["kinds"])
    assert kinds == ManifestSchemas.vendored().crd_kinds()
    assert versions_summary() == (
        "KServe v0.20.0, Knative Serving knative-v1.23.0, KubeRay v1.7.0, Argo CD v3.5.1, Flux controllers v1.9.1"
    )


def test_vendored_files_are_compact_and_description_free() -> None:
    total = 0
    for path in sorted(VENDORED_DIR.glob("*.json")):
        data = path.read_bytes()
        total += len(data)
        parsed = json.loads(data)
        assert data == (json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
        if "schema" in parsed:
            assert path.name == f"{parsed['group']}_{parsed['version']}_{parsed['kind']}.json"
            assert '"description":' not in data.decode()  # no property is called description in these CRDs
    assert total < 4_000_000


# ---------------------------------------------------------------------------
# Import


_DOC_CRD = """\
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: notes.example.com
spec:
  group: example.com
  names: {kind: Note, plural: notes}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        description: A note.
        type: object
        properties:
          apiVersion: {type: string, description: the API version}
          kind: {type: string}
          metadata: {type: object}
          spec:
            type: object
            description: What the note says.
            required: [description]
            properties:
              description:
                type: string
                description: The note's text (a property named description).
              tags:
                type: array
                items: {type: string, description: one tag}
              extra:
                anyOf: [{type: integer, description: a count}, {type: string}]
                default: {description: "data, not a schema: kept"}
  - name: v0
    served: false
    storage: false
    schema:
      openAPIV3Schema: {type: object}
"""


def _small_crd_dir(tmp_path: Path) -> tuple[Path, Path]:
    crd_dir = tmp_path / "crds"
    (crd_dir / "example").mkdir(parents=True)
    crd = crd_dir / "example" / "notes.yaml"
    crd.write_text(_DOC_CRD, encoding="utf-8")
    (crd_dir / "README.md").write_text("not YAML\n", encoding="utf-8")
    (crd_dir / "kustomization.yaml").write_text("resources: [example/notes.yaml]\n", encoding="utf-8")
    data = crd.read_bytes()
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        yaml.safe_dump(
            {"sources": [{
                "file": "example/notes.yaml", "project": "Example", "repository": "https://github.com/example/notes",
                "tag": "v1.0.0", "commit": "0" * 40, "path": "config/crd/notes.yaml",
                "blob": hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest(),
                "sha256": hashlib.sha256(data).hexdigest(),
            }]}
        ),
        encoding="utf-8",
    )
    return crd_dir, sources


def test_import_writes_kinds_index_and_provenance(tmp_path: Path) -> None:
    crd_dir, sources = _small_crd_dir(tmp_path)
    dest = tmp_path / "vendored"
    dest.mkdir()
    (dest / "sources.yaml").write_text("# mine\n", encoding="utf-8")
    (dest / "example.com_v0_Gone.json").write_text("{}\n", encoding="utf-8")  # a kind no longer produced
    lines = import_schemas(crd_dir, dest, sources)
    assert sorted(p.name for p in dest.iterdir()) == ["example.com_v1_Note.json", "index.json", "provenance.json", "sources.yaml"]
    assert (dest / "sources.yaml").read_text(encoding="utf-8") == "# mine\n"
    assert "removed example.com_v0_Gone.json (no longer produced)" in lines
    assert any(line.startswith("wrote example.com_v1_Note.json") for line in lines)
    note = json.loads((dest / "example.com_v1_Note.json").read_text(encoding="utf-8"))
    assert {k: v for k, v in note.items() if k != "schema"} == {
        "group": "example.com", "version": "v1", "kind": "Note", "plural": "notes", "namespaced": True,
        "storage": True, "source": "example/notes.yaml",
    }
    (entry,) = provenance(dest)
    assert entry["kinds"] == [["example.com/v1", "Note"]] and entry["tag"] == "v1.0.0"
    assert entry["bytes"] == len(_DOC_CRD.encode())
    assert versions_summary(dest) == "Example v1.0.0"
    again = import_schemas(crd_dir, dest, sources)  # same input: same bytes, nothing rewritten
    assert all(line.startswith("unchanged") for line in again[:-1])
    assert not list(tmp_path.glob(".vendored-*"))  # the staging directory is gone


def test_descriptions_are_dropped_but_a_property_named_description_stays(tmp_path: Path) -> None:
    crd_dir, sources = _small_crd_dir(tmp_path)
    import_schemas(crd_dir, tmp_path / "out", sources)
    schema = json.loads((tmp_path / "out" / "example.com_v1_Note.json").read_text(encoding="utf-8"))["schema"]
    spec = schema["properties"]["spec"]
    assert "description" not in schema and "description" not in spec
    assert spec["properties"]["description"] == {"type": "string"}
    assert spec["required"] == ["description"]
    assert spec["properties"]["tags"]["items"] == {"type": "string"}
    assert spec["properties"]["extra"]["anyOf"] == [{"type": "integer"}, {"type": "string"}]
    assert spec["properties"]["extra"]["default"] == {"description": "data, not a schema: kept"}
    assert schema["properties"]["apiVersion"] == {"type": "string"}
    assert strip_descriptions({"properties": {"description": {"description": "x"}}}) == {"properties": {"description": {}}}


@pytest.mark.parametrize("case", ["modified", "unlisted", "missing"])
def test_import_refuses_and_writes_nothing(tmp_path: Path, case: str) -> None:
    crd_dir, sources = _small_crd_dir(tmp_path)
    if case == "modified":
        path = crd_dir / "example" / "notes.yaml"
        path.write_text(_DOC_CRD.replace("A note.", "A changed note."), encoding="utf-8")
        expected = r"example/notes.yaml: sha256 [0-9a-f]{64} \(blob [0-9a-f]{40}\) does not match .*restore the upstream file"
    elif case == "unlisted":
        (crd_dir / "other.yaml").write_text(_DOC_CRD.replace("Note", "Memo").replace("notes", "memos"), encoding="utf-8")
        expected = r"other.yaml: not listed in .*sources.yaml; if it is an unmodified upstream file, add its .*sha256 \([0-9a-f]{64}\)"
    else:
        (crd_dir / "example" / "notes.yaml").unlink()
        expected = r"example/notes.yaml: listed in .*sources.yaml but not found in"
    dest = tmp_path / "vendored"
    dest.mkdir()
    (dest / "index.json").write_text("old\n", encoding="utf-8")
    with pytest.raises(SchemaImportError, match=expected) as caught:
        import_schemas(crd_dir, dest, sources)
    assert str(caught.value).startswith("nothing imported:")
    assert sorted(p.name for p in dest.iterdir()) == ["index.json"]
    assert (dest / "index.json").read_text(encoding="utf-8") == "old\n"
    assert not list(tmp_path.glob(".vendored-*"))


def test_import_refuses_a_kind_defined_twice(tmp_path: Path) -> None:
    crd_dir, sources = _small_crd_dir(tmp_path)
    listed = yaml.safe_load(sources.read_text(encoding="utf-8"))
    copy_file = crd_dir / "example" / "notes-copy.yaml"
    copy_file.write_text(_DOC_CRD, encoding="utf-8")
    listed["sources"].append({**listed["sources"][0], "file": "example/notes-copy.yaml"})
    sources.write_text(yaml.safe_dump(listed), encoding="utf-8")
    with pytest.raises(SchemaImportError, match="Note.example.com is defined twice"):
        import_schemas(crd_dir, tmp_path / "out", sources)
    assert not (tmp_path / "out").exists()


def test_import_needs_a_directory(tmp_path: Path) -> None:
    with pytest.raises(SchemaImportError, match="CRD directory not found"):
        import_schemas(tmp_path / "nope", tmp_path / "out")


# ---------------------------------------------------------------------------
# CRD documents from the vendored data


@pytest.fixture(scope="module")
def crd_documents_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("crds")
    write_crd_documents(directory)
    return directory


def test_crd_documents_have_what_a_crd_directory_reader_needs(crd_documents_dir: Path) -> None:
    docs = {f"{d['metadata']['name']}.yaml": d for d in vendor.crd_documents()}
    assert sorted(p.name for p in crd_documents_dir.iterdir()) == sorted(docs)
    assert len(docs) == 14
    for name, doc in docs.items():
        spec = doc["spec"]
        assert doc["apiVersion"] == "apiextensions.k8s.io/v1" and doc["kind"] == "CustomResourceDefinition"
        assert name == f"{spec['names']['plural']}.{spec['group']}.yaml"
        assert spec["scope"] in ("Namespaced", "Cluster")
        assert [v["storage"] for v in spec["versions"]].count(True) == 1
        # Readers that cut `schema:` blocks out textually (this package's from_crd_dir, and older modelfleet
        # releases with the same code) must find one block per version and leave a header equal to the document.
        text = (crd_documents_dir / name).read_text(encoding="utf-8")
        assert len(re.findall(r"(?m)^ +schema:$", text)) == len(spec["versions"])
        header = yaml.safe_load(_strip_schema_blocks(text))
        expected = copy.deepcopy({**doc, "spec": {**spec, "versions": [{**v, "schema": {}} for v in spec["versions"]]}})
        assert header == expected


def test_crd_documents_give_the_vendored_verdicts(crd_documents_dir: Path) -> None:
    from_dir = ManifestSchemas.from_crd_dir(crd_documents_dir)
    vendored = ManifestSchemas.vendored()
    assert from_dir.crd_kinds() == vendored.crd_kinds()
    for api_version, kind in vendored.crd_kinds():
        assert from_dir.is_namespaced(api_version, kind) == vendored.is_namespaced(api_version, kind)
    rng = random.Random(7)
    checked = invalid = 0
    for base in _corpus():
        for obj in [base, *_mutations(base, rng)[:4]]:
            expected = vendored.validate(copy.deepcopy(obj))
            assert from_dir.validate(obj) == expected, obj
            checked += 1
            invalid += bool(expected)
    assert checked > 300 and invalid > 60
    assert str(crd_documents_dir) in from_dir.source
