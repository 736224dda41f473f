"""Strict schema validation of rendered Kubernetes objects (plain dicts).

Two sources of schemas:

* Custom resources: upstream CustomResourceDefinition YAML files in a directory
  (the project uses ``../shared/crds`` relative to the repo root).  Every served
  version of every ``apiextensions.k8s.io/v1`` CRD found in ``*.yaml``/``*.yml``
  files (recursively) is indexed under ``(apiVersion, kind)``; the schema is
  ``spec.versions[i].schema.openAPIV3Schema``, checked with JSON Schema draft 4
  semantics (closest to OpenAPI v3.0; ``1.0`` is not an integer).
* Core kinds: the strict schemas bundled with the ``kubernetes_validate``
  package for Kubernetes :data:`K8S_SCHEMA_VERSION` (the newest bundled
  version), loaded directly from its ``kubernetes-json-schema/v<ver>-local-strict``
  directory and checked with draft 2020-12 semantics; their ``$ref``\\ s go to
  ``_definitions.json``.

Strictness.  Kubernetes structural schemas never forbid unknown fields (the API
server prunes them instead), so for CRD schemas every node that has
``properties``, no ``additionalProperties`` of its own and is not
``x-kubernetes-preserve-unknown-fields: true`` is treated as
``additionalProperties: false``.  ``metadata`` is only ``{type: object}`` in CRDs:
at the root (and in ``x-kubernetes-embedded-resource`` nodes) it is replaced by
the strict Kubernetes ObjectMeta schema.  OpenAPI ``nullable: true`` adds
``null`` to the node's type.  On top of the schemas, the root ``metadata`` is
checked like the API server does: ``name`` present and a DNS-1123 subdomain
(a DNS-1123 label for Namespace, a DNS-1035 label for Service, a path segment for
RBAC kinds), ``namespace`` a DNS-1123 label and absent on cluster-scoped kinds,
label keys/values and annotation keys in Kubernetes syntax, annotation values
strings.

Not checked (as the API server's schema validation would): CEL
``x-kubernetes-validations``, list-map key uniqueness, ``format`` (int32 ranges,
date-time), admission-webhook rules.  Quantities in CRDs are
``x-kubernetes-int-or-string`` with a pattern, so a YAML float such as
``cpu: 0.5`` is rejected there (write ``"500m"``); the bundled core schemas
accept numbers for quantities.

Speed.  The CRD directory is indexed by reading only each file's header (the
``schema:`` blocks are cut out textually before YAML parsing, ~20 ms for 8.6 MB);
a file is fully parsed (``yaml.CSafeLoader``, cached per process) only when one
of its kinds is validated.  Each kind gets, lazily and once, a fast checker made
of Python closures (themselves compiled lazily, node by node, as objects reach
them) that answers valid/invalid; only for an invalid object is the full
``jsonschema`` validator built and run to produce the error list.  When the two
disagree, ``jsonschema`` wins.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import urljoin

import jsonschema
import yaml
from referencing import Registry, Resource

__all__ = [
    "K8S_SCHEMA_VERSION",
    "ManifestSchemaError",
    "ManifestSchemas",
    "SchemaProblem",
]

#: Kubernetes version of the bundled kubernetes_validate schemas used for core kinds.
K8S_SCHEMA_VERSION = "1.37.0"

_CRD_API_VERSION = "apiextensions.k8s.io/v1"
_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

# Cluster-scoped built-in kinds, by (group, kind).  Everything else bundled is namespaced.
_CLUSTER_SCOPED_CORE = frozenset(
    {
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("", "ComponentStatus"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("apiregistration.k8s.io", "APIService"),
        ("authentication.k8s.io", "SelfSubjectReview"),
        ("authentication.k8s.io", "TokenReview"),
        ("authorization.k8s.io", "SelfSubjectAccessReview"),
        ("authorization.k8s.io", "SelfSubjectRulesReview"),
        ("authorization.k8s.io", "SubjectAccessReview"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("certificates.k8s.io", "ClusterTrustBundle"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("internal.apiserver.k8s.io", "StorageVersion"),
        ("networking.k8s.io", "IPAddress"),
        ("networking.k8s.io", "IngressClass"),
        ("networking.k8s.io", "ServiceCIDR"),
        ("node.k8s.io", "RuntimeClass"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("resource.k8s.io", "DeviceClass"),
        ("resource.k8s.io", "DeviceTaintRule"),
        ("resource.k8s.io", "ResourceSlice"),
        ("resource.k8s.io", "ResourcePoolStatusRequest"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("storage.k8s.io", "VolumeAttributesClass"),
        ("storagemigration.k8s.io", "StorageVersionMigration"),
    }
)


class ManifestSchemaError(ValueError):
    """The schema sources are unusable (missing CRD directory, no CRD, bad YAML, ...)."""


@dataclass(frozen=True)
class SchemaProblem:
    api_version: str
    kind: str
    name: str  # metadata.name or "" if missing
    namespace: str  # metadata.namespace or ""
    path: str  # e.g. "spec.predictor.model.storageUri", list indexes as [i]; "" for the object root
    message: str  # one line

    def __str__(self) -> str:
        who = self.name or "<unnamed>"
        if self.namespace:
            who = f"{self.namespace}/{who}"
        head = f"{self.kind or '<no kind>'} {who}"
        return f"{head}: {self.path}: {self.message}" if self.path else f"{head}: {self.message}"


# ---------------------------------------------------------------------------
# Paths and messages

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_$@:/-]+\Z")
_SECRET_WORDS = ("token", "secret", "password", "passwd", "credential", "apikey", "api_key")


def _format_path(parts: Iterable[Any]) -> str:
    """``("spec", "containers", 0, "name")`` -> ``spec.containers[0].name``; keys that
    contain dots or other odd characters are quoted: ``limits["nvidia.com/gpu"]``."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            out.append(f"[{part}]")
        else:
            text = str(part)
            if not _PLAIN_KEY.match(text):
                out.append(f"[{json.dumps(text)}]")
            else:
                out.append(f".{text}" if out else text)
    return "".join(out)


def _sort_key(parts: tuple) -> tuple:
    return tuple((0, p, "") if isinstance(p, int) and not isinstance(p, bool) else (1, 0, str(p)) for p in parts)


def _short_repr(value: Any, limit: int = 60) -> str:
    text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(text: str, limit: int = 240) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _looks_secret(kind: str, parts: Iterable[Any]) -> bool:
    if kind == "Secret":
        return True
    return any(w in str(p).lower() for p in parts for w in _SECRET_WORDS)


# ---------------------------------------------------------------------------
# Metadata checks (what the API server checks beyond the OpenAPI schema)

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?\Z")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
_MAX_ANNOTATIONS_BYTES = 256 * 1024

_SUBDOMAIN_RULE = (
    "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', "
    "starting and ending with a letter or digit, at most 253 characters"
)
_LABEL_RULE = (
    "must be a DNS-1123 label: lowercase letters, digits and '-', "
    "starting and ending with a letter or digit, at most 63 characters"
)
_DNS1035_RULE = (
    "must be a DNS-1035 label: lowercase letters, digits and '-', "
    "starting with a letter, ending with a letter or digit, at most 63 characters"
)


def _is_subdomain(value: str) -> bool:
    return len(value) <= 253 and _DNS1123_SUBDOMAIN.match(value) is not None


@functools.lru_cache(maxsize=8192)
def _qualified_name_problem(key: str) -> str | None:
    """Kubernetes IsQualifiedName: ``[prefix/]name``; None when valid."""
    prefix, slash, name = key.rpartition("/")
    if slash and ("/" in prefix or not prefix):
        return "must be 'name' or 'prefix/name' with a non-empty prefix"
    if slash and not _is_subdomain(prefix):
        return f"prefix {prefix!r} {_SUBDOMAIN_RULE}"
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        return (
            "name part must be 1-63 characters: letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    return None


@functools.lru_cache(maxsize=8192)
def _label_value_problem(value: str) -> str | None:
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        return (
            "must be at most 63 characters: letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit (or empty)"
        )
    return None


def _name_problem(group: str, kind: str, name: str) -> str | None:
    if group == "rbac.authorization.k8s.io":  # ValidateRBACName: a path segment
        if name in (".", "..") or "/" in name or "%" in name:
            return f"invalid name {name!r}: must not be '.' or '..' nor contain '/' or '%'"
        return None
    if group == "" and kind == "Namespace":
        ok, rule = len(name) <= 63 and _DNS1123_LABEL.match(name) is not None, _LABEL_RULE
    elif group == "" and kind == "Service":
        ok, rule = len(name) <= 63 and _DNS1035_LABEL.match(name) is not None, _DNS1035_RULE
    else:
        ok, rule = _is_subdomain(name), _SUBDOMAIN_RULE
    return None if ok else f"invalid name {_short_repr(name)}: {rule}"


def _metadata_problems(obj: dict, group: str, kind: str, namespaced: bool | None) -> Iterator[tuple[tuple, str]]:
    meta = obj.get("metadata")
    if meta is None:
        yield (), "'metadata' is a required property"
        return
    if not isinstance(meta, dict):
        return  # the schema reports the type
    name = meta.get("name")
    if name is None:
        yield ("metadata",), "'name' is a required property"
    elif isinstance(name, str):
        msg = _name_problem(group, kind, name)
        if msg:
            yield ("metadata", "name"), msg
    namespace = meta.get("namespace")
    if isinstance(namespace, str):
        if namespaced is False:
            yield ("metadata", "namespace"), f"{kind} is cluster-scoped: remove metadata.namespace"
        elif not (len(namespace) <= 63 and _DNS1123_LABEL.match(namespace)):
            yield ("metadata", "namespace"), f"invalid namespace {_short_repr(namespace)}: {_LABEL_RULE}"
    labels = meta.get("labels")
    if isinstance(labels, dict):
        for key, value in labels.items():
            if not isinstance(key, str):
                yield ("metadata", "labels"), f"label key {_short_repr(key)} must be a string"
                continue
            msg = _qualified_name_problem(key)
            if msg:
                yield ("metadata", "labels", key), f"invalid label key {_short_repr(key)}: {msg}"
            if value is None:
                yield ("metadata", "labels", key), "label value must be a string, got null"
            elif isinstance(value, str):  # other types are reported by the schema
                msg = _label_value_problem(value)
                if msg:
                    yield ("metadata", "labels", key), f"invalid label value {_short_repr(value)}: {msg}"
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        size = 0
        for key, value in annotations.items():
            if not isinstance(key, str):
                yield ("metadata", "annotations"), f"annotation key {_short_repr(key)} must be a string"
                continue
            msg = _qualified_name_problem(key.lower())
            if msg:
                yield ("metadata", "annotations", key), f"invalid annotation key {_short_repr(key)}: {msg}"
            if value is None:
                yield ("metadata", "annotations", key), "annotation value must be a string, got null"
            elif isinstance(value, str):  # other types are reported by the schema
                size += len(key) + len(value)
        if size > _MAX_ANNOTATIONS_BYTES:
            yield ("metadata", "annotations"), f"annotations total {size} bytes, more than the limit {_MAX_ANNOTATIONS_BYTES}"


# ---------------------------------------------------------------------------
# CRD schema normalisation (strictness)

_SCHEMA_MAP_KEYS = frozenset({"properties", "patternProperties", "definitions", "$defs"})
_SCHEMA_LIST_KEYS = frozenset({"anyOf", "allOf", "oneOf", "prefixItems"})
_SCHEMA_ONE_KEYS = frozenset({"additionalProperties", "items", "not", "additionalItems"})
_BARE_OBJECT_KEYS = frozenset({"type", "description"})


def _is_bare_object(node: Any) -> bool:
    return isinstance(node, dict) and node.get("type") == "object" and node.keys() <= _BARE_OBJECT_KEYS


def _crd_effective(node: dict, object_meta: dict, root: bool) -> dict:
    """One CRD schema node as it is validated (shallow; children untouched).

    * ``additionalProperties: false`` where the node has ``properties``, no
      ``additionalProperties`` and is not x-kubernetes-preserve-unknown-fields;
    * bare ``metadata: {type: object}`` at the root and in embedded resources
      -> strict ObjectMeta;
    * ``nullable: true`` -> ``null`` added to ``type``;
    * ``x-kubernetes-int-or-string`` without anyOf/type -> anyOf integer|string.
    """
    out = node
    props = node.get("properties")
    if isinstance(props, dict):
        if "additionalProperties" not in node and node.get("x-kubernetes-preserve-unknown-fields") is not True:
            out = dict(out)
            out["additionalProperties"] = False
        if (root or node.get("x-kubernetes-embedded-resource") is True) and _is_bare_object(props.get("metadata")):
            out = dict(out)
            out["properties"] = {**props, "metadata": object_meta}
    if node.get("nullable") is True and isinstance(node.get("type"), str):
        out = dict(out)
        out["type"] = [node["type"], "null"]
    if node.get("x-kubernetes-int-or-string") is True and "anyOf" not in node and "type" not in node:
        out = dict(out)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    return out


def _crd_closed_copy(node: Any, object_meta: dict, root: bool = False) -> Any:
    """Deep copy of a CRD schema with :func:`_crd_effective` applied to every schema node."""
    if not isinstance(node, dict):
        return node
    if node is object_meta:
        return node
    out = {}
    for key, value in _crd_effective(node, object_meta, root).items():
        if key in _SCHEMA_MAP_KEYS and isinstance(value, dict):
            out[key] = {k: _crd_closed_copy(v, object_meta) for k, v in value.items()}
        elif key in _SCHEMA_LIST_KEYS and isinstance(value, list):
            out[key] = [_crd_closed_copy(v, object_meta) for v in value]
        elif key in _SCHEMA_ONE_KEYS and isinstance(value, (dict, list)):
            if isinstance(value, list):
                out[key] = [_crd_closed_copy(v, object_meta) for v in value]
            else:
                out[key] = _crd_closed_copy(value, object_meta)
        else:
            out[key] = value  # enum, required, default, x-kubernetes-*: never mutated
    return out


def _inline_refs(node: Any, defs: dict, seen: tuple = ()) -> Any:
    """Copy of ``node`` with ``#/$defs/X`` and ``.../_definitions.json#/$defs/X`` refs inlined."""
    if isinstance(node, list):
        return [_inline_refs(v, defs, seen) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rpartition("#/$defs/")[2]
        if name in seen or name not in defs:
            raise ManifestSchemaError(f"cannot inline $ref {ref!r} in the bundled Kubernetes schemas")
        target = _inline_refs(defs[name], defs, seen + (name,))
        rest = {k: v for k, v in node.items() if k not in ("$ref", "description")}
        return {**target, **_inline_refs(rest, defs, seen)} if rest else target
    return {k: _inline_refs(v, defs, seen) for k, v in node.items()}


# ---------------------------------------------------------------------------
# Fast path: schema -> Python closures answering "valid?".  Only the keywords
# that occur in these schemas are supported; anything else raises _Unsupported
# and the kind is then validated with jsonschema alone.  The fast path may be
# stricter than jsonschema (the caller falls back to jsonschema's verdict) but
# must never accept what jsonschema rejects.

_Check = Callable[[Any], bool]


class _Unsupported(Exception):
    pass


_IGNORED_KEYWORDS = frozenset(
    {
        "description", "format", "default", "nullable", "title", "example", "examples",
        "$schema", "$id", "$comment", "$defs", "definitions", "readOnly", "writeOnly", "deprecated",
    }
)
_SUPPORTED_KEYWORDS = frozenset(
    {
        "type", "properties", "additionalProperties", "required", "items", "anyOf", "oneOf", "allOf",
        "not", "enum", "pattern", "maxLength", "minLength", "maximum", "minimum", "maxItems",
        "minItems", "maxProperties", "minProperties", "$ref",
    }
)


def _always(_x: Any) -> bool:
    return True


def _is_str(x: Any) -> bool:
    return isinstance(x, str)


def _is_dict(x: Any) -> bool:
    return isinstance(x, dict)


def _is_list(x: Any) -> bool:
    return isinstance(x, list)


def _is_bool(x: Any) -> bool:
    return isinstance(x, bool)


def _is_null(x: Any) -> bool:
    return x is None


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _is_int_strict(x: Any) -> bool:  # draft 4
    return isinstance(x, int) and not isinstance(x, bool)


def _is_int_loose(x: Any) -> bool:  # draft 6+: 1.0 is an integer
    return (isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer())


class _FastCompiler:
    def __init__(self, *, draft4: bool, docs: dict[str, dict] | None = None,
                 effective: Callable[[dict, bool], dict] | None = None) -> None:
        self._types: dict[str, _Check] = {
            "string": _is_str, "object": _is_dict, "array": _is_list, "boolean": _is_bool,
            "null": _is_null, "number": _is_number,
            "integer": _is_int_strict if draft4 else _is_int_loose,
        }
        self._draft4 = draft4
        self._docs = docs or {}
        self._effective = effective
        self._memo: dict[int, tuple[Any, _Check]] = {}

    def compile(self, node: Any, base: str = "", root: bool = False) -> _Check:
        if node is True:
            return _always
        if not isinstance(node, dict):
            raise _Unsupported(f"schema {node!r}")
        key = id(node)
        hit = self._memo.get(key)
        if hit is not None and not root:
            return hit[1]
        cell: list[_Check] = []
        self._memo[key] = (node, lambda x: cell[0](x))  # placeholder while compiling (recursive $ref)
        fn = self._compile(node, base, root)
        cell.append(fn)
        self._memo[key] = (node, fn)
        return fn

    def _lazy_in(self, holder: Any, key: Any, node: Any, base: str) -> _Check:
        """A stand-in for ``holder[key]`` that compiles ``node`` on first use and then
        replaces itself there, so untouched parts of a schema cost nothing."""
        hit = self._memo.get(id(node)) if isinstance(node, dict) else None
        if hit is not None:
            return hit[1]

        def first_call(x: Any) -> bool:
            fn = self.compile(node, base)
            holder[key] = fn
            return fn(x)

        return first_call

    def _type_check(self, t: Any) -> _Check:
        if isinstance(t, str):
            if t not in self._types:
                raise _Unsupported(f"type {t!r}")
            return self._types[t]
        if isinstance(t, list) and t and all(isinstance(x, str) and x in self._types for x in t):
            fns = tuple(self._types[x] for x in t)
            if len(fns) == 1:
                return fns[0]
            if len(fns) == 2 and t[1] == "null":
                first = fns[0]
                return lambda x: x is None or first(x)
            return lambda x: any(f(x) for f in fns)
        raise _Unsupported(f"type {t!r}")

    def _resolve(self, ref: str, base: str) -> tuple[Any, str]:
        uri, _, fragment = urljoin(base, ref).partition("#")
        doc = self._docs.get(uri)
        if doc is None:
            raise _Unsupported(f"$ref {ref!r}")
        target: Any = doc
        for token in fragment.split("/")[1:] if fragment else ():
            token = token.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or token not in target:
                raise _Unsupported(f"$ref {ref!r}")
            target = target[token]
        return target, uri

    def _compile(self, node: dict, base: str, root: bool) -> _Check:
        if self._effective is not None:
            node = self._effective(node, root)
        keywords = {k for k in node if k not in _IGNORED_KEYWORDS and not k.startswith("x-")}
        if not keywords <= _SUPPORTED_KEYWORDS:
            raise _Unsupported(", ".join(sorted(keywords - _SUPPORTED_KEYWORDS)))
        if "$id" in node and isinstance(node["$id"], str):
            base = urljoin(base, node["$id"])

        generic: list[_Check] = []
        if "$ref" in node:
            if self._draft4:
                raise _Unsupported("$ref in draft 4")
            target, target_base = self._resolve(node["$ref"], base)
            generic.append(self._lazy_ref(target, target_base))
        if "enum" in node:
            generic.append(self._enum_check(node["enum"]))
        for word, combine in (("anyOf", "any"), ("allOf", "all"), ("oneOf", "one")):
            if word in node:
                subs = node[word]
                if not isinstance(subs, list) or not subs:
                    raise _Unsupported(word)
                fns = tuple(self.compile(s, base) for s in subs)
                generic.append(_combinator(combine, fns))
        if "not" in node:
            inner = self.compile(node["not"], base)
            generic.append(lambda x: not inner(x))

        obj = self._object_check(node, base)
        arr = self._array_check(node, base)
        string = _string_check(node)
        number = _number_check(node)
        type_fn = self._type_check(node["type"]) if "type" in node else None
        return _assemble(type_fn, obj, arr, string, number, tuple(generic))

    def _lazy_ref(self, target: Any, base: str) -> _Check:
        box: list[_Check] = []
        box.append(self._lazy_in(box, 0, target, base))
        return lambda x: box[0](x)

    def _enum_check(self, values: Any) -> _Check:
        if not isinstance(values, list) or not values:
            raise _Unsupported("enum")
        if all(isinstance(v, str) for v in values):
            allowed = frozenset(values)
            return lambda x: isinstance(x, str) and x in allowed
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            allowed_n = frozenset(values)
            return lambda x: isinstance(x, (int, float)) and not isinstance(x, bool) and x in allowed_n
        raise _Unsupported("enum with mixed values")

    def _object_check(self, node: dict, base: str) -> _Check | None:
        props = node.get("properties", {})
        required = node.get("required", ())
        ap = node.get("additionalProperties", True)
        min_p, max_p = node.get("minProperties"), node.get("maxProperties")
        if not props and not required and ap is True and min_p is None and max_p is None:
            return None
        if not isinstance(props, dict) or not isinstance(required, (list, tuple)):
            raise _Unsupported("properties/required")
        checks: dict[str, _Check] = {}
        for k, v in props.items():
            checks[k] = self._lazy_in(checks, k, v, base)
        required_t = tuple(required)
        closed = ap is False
        extra_box: list[_Check] = []
        if ap is not True and ap is not False:
            extra_box.append(self._lazy_in(extra_box, 0, ap, base))
        get = checks.get

        def check_object(x: dict) -> bool:
            for r in required_t:
                if r not in x:
                    return False
            for k, v in x.items():
                c = get(k)
                if c is None:
                    if closed:
                        return False
                    if extra_box and not extra_box[0](v):
                        return False
                elif not c(v):
                    return False
            return True

        if min_p is None and max_p is None:
            return check_object
        lo = min_p if min_p is not None else 0
        hi = max_p if max_p is not None else float("inf")
        return lambda x: lo <= len(x) <= hi and check_object(x)

    def _array_check(self, node: dict, base: str) -> _Check | None:
        items = node.get("items")
        min_i, max_i = node.get("minItems"), node.get("maxItems")
        if items is None and min_i is None and max_i is None:
            return None
        lo = min_i if min_i is not None else 0
        hi = max_i if max_i is not None else float("inf")
        if items is None:
            return lambda x: lo <= len(x) <= hi
        if not isinstance(items, dict):
            raise _Unsupported("items as a list")
        item_box: list[_Check] = []
        item_box.append(self._lazy_in(item_box, 0, items, base))

        def check_array(x: list) -> bool:
            if not lo <= len(x) <= hi:
                return False
            it = item_box[0]
            for v in x:
                if not it(v):
                    return False
            return True

        return check_array


def _combinator(kind: str, fns: tuple[_Check, ...]) -> _Check:
    if kind == "any":
        return lambda x: any(f(x) for f in fns)
    if kind == "all":
        return lambda x: all(f(x) for f in fns)
    return lambda x: sum(1 for f in fns if f(x)) == 1


def _string_check(node: dict) -> _Check | None:
    pattern, min_l, max_l = node.get("pattern"), node.get("minLength"), node.get("maxLength")
    if pattern is None and min_l is None and max_l is None:
        return None
    search = re.compile(pattern).search if pattern is not None else None
    lo = min_l if min_l is not None else 0
    hi = max_l if max_l is not None else float("inf")
    if search is None:
        return lambda x: lo <= len(x) <= hi
    return lambda x: lo <= len(x) <= hi and search(x) is not None


def _number_check(node: dict) -> _Check | None:
    lo, hi = node.get("minimum"), node.get("maximum")
    if lo is None and hi is None:
        return None
    lo = float("-inf") if lo is None else lo
    hi = float("inf") if hi is None else hi
    return lambda x: lo <= x <= hi


def _assemble(type_fn: _Check | None, obj: _Check | None, arr: _Check | None, string: _Check | None,
              number: _Check | None, generic: tuple[_Check, ...]) -> _Check:
    # Common shapes first: they are almost every node.
    if not generic:
        specific = [c for c in (obj, arr, string, number) if c is not None]
        if not specific:
            return type_fn or _always
        if type_fn is not None and len(specific) == 1:
            only = specific[0]
            if type_fn is _is_dict and obj is not None:
                return lambda x: isinstance(x, dict) and only(x)
            if type_fn is _is_str and string is not None:
                return lambda x: isinstance(x, str) and only(x)
            if type_fn is _is_list and arr is not None:
                return lambda x: isinstance(x, list) and only(x)

    def check(x: Any) -> bool:
        if type_fn is not None and not type_fn(x):
            return False
        if isinstance(x, dict):
            if obj is not None and not obj(x):
                return False
        elif isinstance(x, str):
            if string is not None and not string(x):
                return False
        elif isinstance(x, list):
            if arr is not None and not arr(x):
                return False
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            if number is not None and not number(x):
                return False
        for g in generic:
            if not g(x):
                return False
        return True

    return check


# ---------------------------------------------------------------------------
# Slow path: jsonschema errors -> (path parts, message)


def _error_problems(error: jsonschema.ValidationError, kind: str) -> Iterator[tuple[tuple, str]]:
    parts = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and error.validator_value is False and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        patterns = error.schema.get("patternProperties", {}) if isinstance(error.schema, dict) else {}
        for key in error.instance:
            if key not in known and not any(re.search(p, str(key)) for p in patterns):
                yield parts, f"unknown field {str(key)!r}"
        return
    secret = _looks_secret(kind, parts)
    instance_text = f"<{type(error.instance).__name__} value>" if secret else _short_repr(error.instance)
    if error.validator == "anyOf" and error.context and all(e.validator == "type" for e in error.context):
        types: list[str] = []
        for sub in error.context:
            value = sub.validator_value
            types.extend(value if isinstance(value, list) else [value])
        message = f"{instance_text} is not of type " + " or ".join(repr(t) for t in dict.fromkeys(types))
        if isinstance(error.schema, dict) and error.schema.get("x-kubernetes-int-or-string") and isinstance(error.instance, float):
            message += " (write quantities as strings, e.g. '500m' or '1.5Gi')"
        yield parts, message
        return
    message = error.message
    full = repr(error.instance)
    if full in message and (secret or len(full) > 60):
        message = message.replace(full, instance_text)
    yield parts, _one_line(message)


# ---------------------------------------------------------------------------
# Source files


@dataclass(frozen=True)
class _CrdVersion:
    file: Path
    group: str
    kind: str
    version: str
    namespaced: bool


_SCHEMA_KEY_LINE = re.compile(r"^( *)(- )?schema:[ \t]*(#[^\r\n]*)?\r?$", re.M)


def _strip_schema_blocks(text: str) -> str:
    """Cut every block-style ``schema:`` mapping out of a CRD file, leaving ``schema: {}``.

    The rest (group, names, scope, versions[].name/served) is a few hundred bytes
    that parse in microseconds, instead of megabytes of openAPIV3Schema."""
    out: list[str] = []
    pos = 0
    while True:
        match = _SCHEMA_KEY_LINE.search(text, pos)
        if match is None:
            out.append(text[pos:])
            return "".join(out)
        indent = len(match.group(1)) + len(match.group(2) or "")
        out.append(text[pos : match.start()])
        out.append(f"{match.group(1)}{match.group(2) or ''}schema: {{}}")
        end = re.compile(r"\n(?= {0,%d}\S)" % indent).search(text, match.end())
        pos = end.start() if end else len(text)


def _file_key(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path), stat.st_mtime_ns, stat.st_size


_FULL_DOCS: dict[tuple[str, int, int], list] = {}


def _load_full(path: Path) -> list:
    """All YAML documents of a file, parsed with the C loader once per process."""
    key = _file_key(path)
    docs = _FULL_DOCS.get(key)
    if docs is None:
        try:
            with path.open(encoding="utf-8") as fh:
                docs = list(yaml.load_all(fh, Loader=yaml.CSafeLoader))
        except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ManifestSchemaError(f"cannot read CRD file {path}: {_one_line(exc)}") from exc
        _FULL_DOCS[key] = docs
    return docs


def _is_crd(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("apiVersion") == _CRD_API_VERSION and doc.get("kind") == "CustomResourceDefinition"


def _crd_headers(path: Path) -> list[dict]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestSchemaError(f"cannot read CRD file {path}: {_one_line(exc)}") from exc
    if "CustomResourceDefinition" not in text:
        return []
    try:
        docs = list(yaml.load_all(_strip_schema_blocks(text), Loader=yaml.CSafeLoader))
    except yaml.YAMLError:
        docs = _load_full(path)  # unusual layout: parse it all
    return [d for d in docs if _is_crd(d)]


class _CoreBundle:
    """The kubernetes_validate strict schemas of K8S_SCHEMA_VERSION (loaded once per process)."""

    def __init__(self) -> None:
        spec = importlib.util.find_spec("kubernetes_validate")  # only its data files are used
        if spec is None or not spec.origin:
            raise ManifestSchemaError("the kubernetes-validate package is not installed (see requirements.txt)")
        self.dir = Path(spec.origin).resolve().parent / "kubernetes-json-schema" / f"v{K8S_SCHEMA_VERSION}-local-strict"
        defs_file = self.dir / "_definitions.json"
        try:
            self.definitions = json.loads(defs_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ManifestSchemaError(f"cannot load bundled Kubernetes schemas {defs_file}: {_one_line(exc)}") from exc
        self.defs_uri = self.definitions.get("$id", "https://kubernetes.io/api/_definitions.json")
        defs = self.definitions["$defs"]
        self.object_meta = _inline_refs(defs[_OBJECT_META], defs)
        self.registry = Registry().with_resource(self.defs_uri, Resource.from_contents(self.definitions))
        self.kinds: dict[tuple[str, str], tuple[str, Path]] = {}
        for definition in defs.values():
            gvks = definition.get("x-kubernetes-group-version-kind")
            if not isinstance(gvks, list) or len(gvks) != 1:
                continue  # DeleteOptions, WatchEvent: not real objects
            group, version, kind = gvks[0]["group"], gvks[0]["version"], gvks[0]["kind"]
            short_group = group.split(".")[0]
            file = self.dir / f"{kind.lower()}-{short_group + '-' if short_group else ''}{version}.json"
            if file.is_file():
                api_version = f"{group}/{version}" if group else version
                self.kinds[(api_version, kind)] = (group, file)


@functools.lru_cache(maxsize=1)
def _core() -> _CoreBundle:
    return _CoreBundle()


# ---------------------------------------------------------------------------
# Per-kind validators


class _KindValidator:
    def __init__(self, group: str, kind: str, namespaced: bool, fast: _Check | None,
                 make_slow: Callable[[], jsonschema.protocols.Validator]) -> None:
        self.group = group
        self.kind = kind
        self.namespaced = namespaced
        self._fast = fast
        self._make_slow = make_slow
        self._slow: jsonschema.protocols.Validator | None = None

    def schema_problems(self, obj: dict) -> list[tuple[tuple, str]]:
        if self._fast is not None:
            try:
                if self._fast(obj):
                    return []
            except _Unsupported:  # a lazily compiled part of the schema: use jsonschema from now on
                self._fast = None
            except Exception:  # noqa: BLE001 - odd instance; let jsonschema judge it
                pass
        if self._slow is None:
            self._slow = self._make_slow()
        problems: list[tuple[tuple, str]] = []
        for error in self._slow.iter_errors(obj):
            problems.extend(_error_problems(error, self.kind))
        return problems


class ManifestSchemas:
    """Schemas for CRD kinds (from a CRD directory) and built-in kinds (bundled)."""

    def __init__(self, crd_versions: dict[tuple[str, str], _CrdVersion], crd_dir: Path) -> None:
        self._crds = crd_versions
        self._crd_dir = crd_dir
        self._validators: dict[tuple[str, str], _KindValidator] = {}

    def __repr__(self) -> str:
        return f"ManifestSchemas({str(self._crd_dir)!r}, {len(self._crds)} CRD kind versions)"

    @classmethod
    def from_crd_dir(cls, crd_dir: Path) -> "ManifestSchemas":
        crd_dir = Path(crd_dir)
        if not crd_dir.is_dir():
            raise ManifestSchemaError(f"CRD directory not found: {crd_dir}")
        files = sorted(p for p in crd_dir.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        index: dict[tuple[str, str], _CrdVersion] = {}
        owners: dict[tuple[str, str], Path] = {}
        for file in files:
            for crd in _crd_headers(file):
                spec = crd.get("spec") or {}
                group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
                if not isinstance(group, str) or not isinstance(kind, str):
                    raise ManifestSchemaError(f"{file}: CustomResourceDefinition without spec.group/spec.names.kind")
                if (group, kind) in owners:
                    raise ManifestSchemaError(
                        f"{kind}.{group} is defined twice: in {owners[(group, kind)]} and in {file}; keep one"
                    )
                owners[(group, kind)] = file
                namespaced = spec.get("scope", "Namespaced") != "Cluster"
                for version in spec.get("versions") or []:
                    if isinstance(version, dict) and version.get("served") is True and isinstance(version.get("name"), str):
                        index[(f"{group}/{version['name']}", kind)] = _CrdVersion(
                            file, group, kind, version["name"], namespaced
                        )
        if not index:
            raise ManifestSchemaError(
                f"no served CustomResourceDefinition version found in {crd_dir} ({len(files)} YAML files)"
            )
        return cls(index, crd_dir)

    # -- queries -------------------------------------------------------------

    def knows(self, api_version: str, kind: str) -> bool:
        key = (api_version, kind)
        return key in self._crds or key in _core().kinds

    def is_namespaced(self, api_version: str, kind: str) -> bool:
        """Scope of a known kind; raises ManifestSchemaError for an unknown one."""
        key = (api_version, kind)
        if key in self._crds:
            return self._crds[key].namespaced
        core = _core().kinds.get(key)
        if core is None:
            raise ManifestSchemaError(_unknown_message(api_version, kind))
        return (core[0], kind) not in _CLUSTER_SCOPED_CORE

    def crd_kinds(self) -> list[tuple[str, str]]:
        """All (apiVersion, kind) served by the CRD directory, sorted."""
        return sorted(self._crds)

    # -- validation ----------------------------------------------------------

    def validate(self, obj: dict) -> list[SchemaProblem]:
        """All problems of one object, sorted by path; [] when valid."""
        if not isinstance(obj, dict):
            return [SchemaProblem("", "", "", "", "", f"expected a mapping, got {type(obj).__name__}")]
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        meta = obj.get("metadata")
        name = namespace = ""
        if isinstance(meta, dict):
            name = meta["name"] if isinstance(meta.get("name"), str) else ""
            namespace = meta["namespace"] if isinstance(meta.get("namespace"), str) else ""
        av = api_version if isinstance(api_version, str) else ""
        kd = kind if isinstance(kind, str) else ""

        raw: list[tuple[tuple, str]] = []
        validator = self._validator(av, kd) if av and kd else None
        if not av:
            raw.append(((), "'apiVersion' is a required property (a non-empty string)"))
        if not kd:
            raw.append(((), "'kind' is a required property (a non-empty string)"))
        if av and kd and validator is None:
            raw.append(((), _unknown_message(av, kd)))
        if validator is not None:
            raw.extend(validator.schema_problems(obj))
            raw.extend(_metadata_problems(obj, validator.group, kd, validator.namespaced))
        else:
            group = av.rpartition("/")[0]
            raw.extend(_metadata_problems(obj, group, kd, None))
        if not raw:
            return []
        raw = list(dict.fromkeys(raw))
        raw.sort(key=lambda p: (_sort_key(p[0]), p[1]))
        return [SchemaProblem(av, kd, name, namespace, _format_path(parts), message) for parts, message in raw]

    def _validator(self, api_version: str, kind: str) -> _KindValidator | None:
        key = (api_version, kind)
        validator = self._validators.get(key)
        if validator is None:
            if key in self._crds:
                validator = self._crd_validator(self._crds[key])
            elif key in _core().kinds:
                group, file = _core().kinds[key]
                validator = _core_validator(group, kind, file)
            else:
                return None
            self._validators[key] = validator
        return validator

    def _crd_validator(self, entry: _CrdVersion) -> _KindValidator:
        schema = None
        for doc in _load_full(entry.file):
            if _is_crd(doc) and doc["spec"].get("group") == entry.group and doc["spec"]["names"].get("kind") == entry.kind:
                for version in doc["spec"].get("versions") or []:
                    if version.get("name") == entry.version:
                        schema = ((version.get("schema") or {}).get("openAPIV3Schema"))
        if not isinstance(schema, dict):
            raise ManifestSchemaError(
                f"{entry.file}: {entry.kind} {entry.group}/{entry.version} has no schema.openAPIV3Schema"
            )
        object_meta = _core().object_meta

        def effective(node: dict, root: bool) -> dict:
            return _crd_effective(node, object_meta, root)

        try:
            fast: _Check | None = _FastCompiler(draft4=True, effective=effective).compile(schema, root=True)
        except _Unsupported:
            fast = None

        def make_slow() -> jsonschema.protocols.Validator:
            return jsonschema.Draft4Validator(_crd_closed_copy(schema, object_meta, root=True))

        return _KindValidator(entry.group, entry.kind, entry.namespaced, fast, make_slow)


def _core_validator(group: str, kind: str, file: Path) -> _KindValidator:
    core = _core()
    try:
        schema = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ManifestSchemaError(f"cannot load bundled schema {file}: {_one_line(exc)}") from exc
    base = schema.get("$id", "")
    try:
        fast: _Check | None = _FastCompiler(
            draft4=False, docs={core.defs_uri: core.definitions, base: schema}
        ).compile(schema, base=base)
    except _Unsupported:
        fast = None

    def make_slow() -> jsonschema.protocols.Validator:
        return jsonschema.Draft202012Validator(schema, registry=core.registry)

    return _KindValidator(group, kind, (group, kind) not in _CLUSTER_SCOPED_CORE, fast, make_slow)


def _unknown_message(api_version: str, kind: str) -> str:
    return f"no schema for apiVersion {api_version} kind {kind}; add its CRD to the CRD directory"
