"""Strict schema validation of rendered Kubernetes objects (plain dicts).

Two sources of schemas:

* Custom resources: the ``openAPIV3Schema`` of every served version of the upstream CustomResourceDefinitions
  the package carries as data (:meth:`ManifestSchemas.vendored`, the default: KServe, Knative Serving, KubeRay,
  Argo CD and Flux at the releases named in ``vendored/provenance.json``; see :mod:`modelfleet.schemas.vendor`),
  or, to validate against other releases, those found in a directory of CRD YAML files
  (:meth:`ManifestSchemas.from_crd_dir`: every served version of every ``apiextensions.k8s.io/v1`` CRD in
  ``*.yaml``/``*.yml`` files, recursively).  They are indexed under ``(apiVersion, kind)`` and checked with
  JSON Schema draft 4 semantics (closest to OpenAPI v3.0; ``1.0`` is not an integer).
* Core kinds: the strict schemas bundled with the ``kubernetes_validate`` package for Kubernetes
  :data:`K8S_SCHEMA_VERSION` (the newest bundled version), loaded directly from its
  ``kubernetes-json-schema/v<ver>-local-strict`` directory and checked with draft 2020-12 semantics; their
  ``$ref``\\ s go to ``_definitions.json``, registered locally (no schema is ever fetched from the network).

Strictness.  Kubernetes structural schemas never forbid unknown fields (the API server prunes them instead),
so for CRD schemas every node that has ``properties``, no ``additionalProperties`` of its own and is not
``x-kubernetes-preserve-unknown-fields: true`` is treated as ``additionalProperties: false``.  ``metadata`` is
only ``{type: object}`` in CRDs: at the root (and in ``x-kubernetes-embedded-resource`` nodes) it is replaced
by the strict Kubernetes ObjectMeta schema.  OpenAPI ``nullable: true`` adds ``null`` to the node's type, and
``x-kubernetes-int-or-string`` without ``anyOf``/``type`` means integer or string.  On top of the schemas, the
root ``metadata`` is checked like the API server does: ``name`` present and a DNS-1123 subdomain (a DNS-1123
label for Namespace, a DNS-1035 label for Service, a path segment for RBAC kinds), ``namespace`` a DNS-1123
label and absent on cluster-scoped kinds, label keys/values and annotation keys in Kubernetes syntax,
annotation values strings.

Not checked (as the API server's schema validation would): CEL ``x-kubernetes-validations``, list-map key
uniqueness, ``format`` (int32 ranges, date-time), admission-webhook rules.  Quantities in CRDs are
``x-kubernetes-int-or-string`` with a pattern, so a YAML float such as ``cpu: 0.5`` is rejected there (write
``"500m"``); the bundled core schemas accept numbers for quantities.  Patterns follow ECMA 262 / Go RE2
semantics (``$`` matches only at the end of the text, unlike Python's ``re``).

Engine.  Each kind's schema is made strict once (on the kind's first validation), its repeated subschemas
shared through ``$ref`` so that each is compiled once, and compiled with ``jsonschema_rs``, which gives the
verdict and, for an invalid object, the list of errors; messages are written here from the error kinds, and
never echo a value that looks secret.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import jsonschema_rs
import yaml

from modelfleet.schemas import vendor

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
    """Copy of a CRD schema with :func:`_crd_effective` applied to every schema node.

    CRD schemas repeat whole subschemas (the container schema under every predictor framework of an
    InferenceService, the pod template under every Ray group, ...). A subschema written more than once is kept once
    under the root's ``definitions`` and each place refers to it with ``$ref``: it validates the same, and
    jsonschema_rs compiles it once instead of at every place (most of the cost of a validator). A schema that already
    has root ``definitions``, or ``$ref`` or ``id`` keywords, is copied without sharing."""
    if not isinstance(node, dict) or node is object_meta:
        return node
    subschemas = _Subschemas(object_meta)
    top = subschemas.visit(node, root)
    share = subschemas.shareable and "definitions" not in node
    closed = subschemas.build(top, share)
    if share and subschemas.definitions:
        closed["definitions"] = subschemas.definitions
    return closed


class _Subschemas:
    """The distinct schema nodes of a CRD schema, each once with how often it occurs, as :func:`_crd_closed_copy`
    makes them: its effective node, and its parts (key, kind, content) that tell it apart from any other node."""

    def __init__(self, object_meta: dict) -> None:
        self.object_meta = object_meta
        self.index: dict[tuple, int] = {}
        self.nodes: list[dict] = []
        self.parts: list[tuple] = []
        self.uses: list[int] = []
        self.definitions: dict[str, dict] = {}
        self.shareable = True

    def visit(self, node: dict, root: bool = False) -> int:
        """The number of the distinct node equal to ``node`` once made effective (its children too)."""
        if node is self.object_meta:
            parts: tuple = (None,)  # already strict: taken as it is
        else:
            node = _crd_effective(node, self.object_meta, root)
            if "$ref" in node or "id" in node:
                self.shareable = False  # a $ref or a new base URI would resolve differently next to shared subschemas
            parts = tuple([(key, "text", value) if type(value) is str else self._part(key, value) for key, value in node.items()])
        number = self.index.get(parts)
        if number is None:
            number = self.index[parts] = len(self.nodes)
            self.nodes.append(node)
            self.parts.append(parts)
            self.uses.append(1)
        else:
            self.uses[number] += 1
        return number

    def _part(self, key: str, value: Any) -> tuple:
        """A key and its value, other than a string."""
        if key in _SCHEMA_MAP_KEYS and isinstance(value, dict):
            return key, "map", tuple([(name, self._child(sub)) for name, sub in value.items()])
        if (key in _SCHEMA_LIST_KEYS or key in _SCHEMA_ONE_KEYS) and isinstance(value, list):
            return key, "list", tuple([self._child(sub) for sub in value])
        if key in _SCHEMA_ONE_KEYS and isinstance(value, dict):
            return key, "one", self.visit(value)
        return key, "value", repr(value)

    def _child(self, value: Any) -> int | str:
        """A schema child: the number of its distinct node; a boolean schema or other value: its repr."""
        return self.visit(value) if isinstance(value, dict) else repr(value)

    def build(self, number: int, share: bool) -> dict:
        """The distinct node as a fresh dict; with ``share``, children written more than once as ``$ref``."""
        node = self.nodes[number]
        if node is self.object_meta:
            return node
        out = {}
        for key, kind, content in self.parts[number]:
            value = node[key]
            if kind == "map":
                out[key] = {name: self._built(sub, share) if type(sub) is int else value[name] for name, sub in content}
            elif kind == "list":
                out[key] = [self._built(sub, share) if type(sub) is int else value[index] for index, sub in enumerate(content)]
            elif kind == "one":
                out[key] = self._built(content, share)
            else:
                out[key] = value
        return out

    def _built(self, number: int, share: bool) -> dict:
        """A child in its parent: the node itself, or with ``share`` a ``$ref`` to the one definition of a node written
        more than once."""
        if not share or self.uses[number] == 1:
            return self.build(number, share)
        name = f"shared{number}"
        if name not in self.definitions:
            self.definitions[name] = self.build(number, share)
        return {"$ref": f"#/definitions/{name}"}


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
# jsonschema_rs errors -> (path parts, message)

_Kind = jsonschema_rs.ValidationErrorKind
_QUANTITY_HINT = " (write quantities as strings, e.g. '500m' or '1.5Gi')"


def _walk(node: Any, tokens: Iterable[Any]) -> Any:
    for token in tokens:
        if isinstance(node, dict):
            node = node.get(token)
        elif isinstance(node, list) and isinstance(token, int) and 0 <= token < len(node):
            node = node[token]
        else:
            return None
    return node


def _pointer_tokens(fragment: str) -> list[Any]:
    tokens: list[Any] = []
    for raw in fragment.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        tokens.append(int(token) if token.isdigit() else token)
    return tokens


def _type_names(node: Any, fallback: Iterable[str]) -> list[str]:
    declared = node.get("type") if isinstance(node, dict) else None
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list) and all(isinstance(t, str) for t in declared):
        return list(declared)
    return list(fallback)


class _Messages:
    """Turns the errors of one compiled schema into problems; ``docs`` maps document URIs to the schemas the
    errors' ``absolute_keyword_location`` point into, ``root`` is the compiled schema itself."""

    def __init__(self, root: dict, docs: dict[str, Any] | None = None) -> None:
        self.root = root
        self.docs = docs or {}

    def node(self, error: jsonschema_rs.ValidationError) -> Any:
        """The schema node holding the keyword that failed (None when it cannot be found)."""
        location = error.absolute_keyword_location
        if location:
            uri, _, fragment = location.partition("#")
            doc = self.docs.get(uri)
            if doc is not None:
                return _walk(doc, _pointer_tokens(fragment)[:-1])
        return _walk(self.root, list(error.schema_path)[:-1])

    def problems(self, error: jsonschema_rs.ValidationError, kind: str) -> Iterator[tuple[tuple, str]]:
        parts = tuple(error.instance_path)
        what = error.kind
        if isinstance(what, (_Kind.AdditionalProperties, _Kind.UnevaluatedProperties)):
            for key in what.unexpected:
                yield parts, f"unknown field {str(key)!r}"
            return
        if isinstance(what, _Kind.Required):
            yield parts, f"{what.property!r} is a required property"
            return
        instance = error.instance
        secret = _looks_secret(kind, parts)
        text = f"<{type(instance).__name__} value>" if secret else _short_repr(instance)
        yield parts, _one_line(self._message(error, what, instance, text))

    def _message(self, error: jsonschema_rs.ValidationError, what: Any, instance: Any, text: str) -> str:
        if isinstance(what, _Kind.Type):
            return f"{text} is not of type " + ", ".join(repr(t) for t in _type_names(self.node(error), what.types))
        if isinstance(what, (_Kind.AnyOf, _Kind.OneOfNotValid)):
            branches = [e for branch in what.context for e in branch]
            if branches and all(isinstance(e.kind, _Kind.Type) for e in branches):
                types: list[str] = []
                for sub in branches:
                    types.extend(_type_names(self.node(sub), sub.kind.types))
                message = f"{text} is not of type " + " or ".join(repr(t) for t in dict.fromkeys(types))
                node = self.node(error)
                if isinstance(node, dict) and node.get("x-kubernetes-int-or-string") and isinstance(instance, float):
                    message += _QUANTITY_HINT
                return message
            return f"{text} is not valid under any of the given schemas"
        if isinstance(what, _Kind.OneOfMultipleValid):
            return f"{text} is valid under more than one of the given schemas"
        if isinstance(what, _Kind.Enum):
            return f"{text} is not one of {_short_repr(list(what.options), 120)}"
        if isinstance(what, _Kind.Constant):
            return f"{_short_repr(what.expected_value)} was expected"
        if isinstance(what, _Kind.Pattern):
            return f"{text} does not match '{what.pattern}'"  # as written in the schema, unescaped
        limits = {
            _Kind.MinLength: "is too short (at least {} characters)",
            _Kind.MaxLength: "is too long (at most {} characters)",
            _Kind.MinItems: "is too short (at least {} items)",
            _Kind.MaxItems: "is too long (at most {} items)",
            _Kind.MinProperties: "does not have enough properties (at least {})",
            _Kind.MaxProperties: "has too many properties (at most {})",
            _Kind.Minimum: "is less than the minimum of {}",
            _Kind.Maximum: "is greater than the maximum of {}",
            _Kind.ExclusiveMinimum: "is less than or equal to the minimum of {}",
            _Kind.ExclusiveMaximum: "is greater than or equal to the maximum of {}",
        }
        for cls, template in limits.items():
            if isinstance(what, cls):
                return f"{text} " + template.format(what.limit)
        if isinstance(what, _Kind.MultipleOf):
            return f"{text} is not a multiple of {what.multiple_of}"
        if isinstance(what, _Kind.UniqueItems):
            return f"{text} has non-unique elements"
        if isinstance(what, _Kind.Not):
            return f"{text} should not be valid under {_short_repr(what.schema)}"
        if isinstance(what, _Kind.FalseSchema):
            return f"{text} is not allowed here"
        return error.message  # values are masked in jsonschema_rs's own messages


# ---------------------------------------------------------------------------
# CRD files


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


# ---------------------------------------------------------------------------
# Core kinds (kubernetes_validate's bundled strict schemas)


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

    @functools.cached_property
    def registry(self) -> jsonschema_rs.Registry:
        """``_definitions.json`` under its own URI: every ``$ref`` of the core schemas resolves locally."""
        return jsonschema_rs.Registry([(self.defs_uri, self.definitions)], retriever=_no_retrieval)


def _no_retrieval(uri: str) -> Any:
    raise ManifestSchemaError(f"schema {uri} is not bundled (modelfleet never fetches schemas from the network)")


@functools.lru_cache(maxsize=1)
def _core() -> _CoreBundle:
    return _CoreBundle()


# ---------------------------------------------------------------------------
# Per-kind validators

_MASK = "<value>"  # jsonschema_rs's own messages never show an instance value


class _KindValidator:
    def __init__(self, kind: str, validator: jsonschema_rs.Validator, messages: _Messages) -> None:
        self.kind = kind
        self.rs = validator
        self.messages = messages

    def schema_problems(self, obj: dict) -> list[tuple[tuple, str]]:
        try:
            if self.rs.is_valid(obj):
                return []
            errors = list(self.rs.iter_errors(obj))
        except ValueError as exc:  # not JSON data: a date, bytes or a non-string key (from YAML, say)
            return list(_non_json_problems(obj, (), self.kind)) or [((), f"is not JSON data: {_one_line(exc)}")]
        problems = [problem for error in errors for problem in self.messages.problems(error, self.kind)]
        return problems or [((), "is not valid against its schema")]  # is_valid and iter_errors always agree


_JSON_SCALARS = (str, int, float, bool, type(None))


def _non_json_problems(value: Any, parts: tuple, kind: str) -> Iterator[tuple[tuple, str]]:
    if isinstance(value, dict):
        for key, sub in value.items():
            if isinstance(key, str):
                yield from _non_json_problems(sub, parts + (key,), kind)
            else:
                yield parts, f"key {_short_repr(key)} is not a string (type {type(key).__name__}; quote it)"
    elif isinstance(value, (list, tuple)):
        for i, sub in enumerate(value):
            yield from _non_json_problems(sub, parts + (i,), kind)
    elif not isinstance(value, _JSON_SCALARS):
        text = f"<{type(value).__name__} value>" if _looks_secret(kind, parts) else _short_repr(value)
        yield parts, f"{text} is not a JSON value (type {type(value).__name__}; quote it)"


# Compiled validators are shared by every ManifestSchemas of the process: (CRD origin key) -> validator.
_COMPILED: dict[tuple, _KindValidator] = {}


def _crd_validator(entry: "_CrdKind") -> _KindValidator:
    validator = _COMPILED.get(entry.cache_key)
    if validator is None:
        schema = entry.load()
        if not isinstance(schema, dict):
            raise ManifestSchemaError(f"{entry.origin}: {entry.kind} {entry.group}/{entry.version} has no schema.openAPIV3Schema")
        closed = _crd_closed_copy(schema, _core().object_meta, root=True)
        try:
            rs = jsonschema_rs.Draft4Validator(closed, validate_formats=False, mask=_MASK, offline=True)
        except (ValueError, jsonschema_rs.ReferencingError) as exc:
            raise ManifestSchemaError(f"{entry.origin}: the schema of {entry.kind} {entry.group}/{entry.version} "
                                      f"does not compile: {_one_line(exc)}") from exc
        validator = _COMPILED[entry.cache_key] = _KindValidator(entry.kind, rs, _Messages(closed))
    return validator


def _core_validator(kind: str, file: Path) -> _KindValidator:
    key = ("core", str(file))
    validator = _COMPILED.get(key)
    if validator is None:
        core = _core()
        try:
            schema = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ManifestSchemaError(f"cannot load bundled schema {file}: {_one_line(exc)}") from exc
        try:
            rs = jsonschema_rs.Draft202012Validator(
                schema, registry=core.registry, validate_formats=False, mask=_MASK, offline=True
            )
        except (ValueError, jsonschema_rs.ReferencingError) as exc:
            raise ManifestSchemaError(f"bundled schema {file} does not compile: {_one_line(exc)}") from exc
        docs = {core.defs_uri: core.definitions}
        if isinstance(schema.get("$id"), str):
            docs[schema["$id"]] = schema
        validator = _COMPILED[key] = _KindValidator(kind, rs, _Messages(schema, docs))
    return validator


# ---------------------------------------------------------------------------
# The schema set


@dataclass(frozen=True)
class _CrdKind:
    group: str
    kind: str
    version: str
    namespaced: bool
    origin: str  # where the schema comes from, for messages
    cache_key: tuple
    load: Callable[[], Any] = field(compare=False, repr=False)


def _dir_schema_loader(path: Path, group: str, kind: str, version: str) -> Callable[[], Any]:
    def load() -> Any:
        for doc in _load_full(path):
            if _is_crd(doc) and doc["spec"].get("group") == group and doc["spec"]["names"].get("kind") == kind:
                for entry in doc["spec"].get("versions") or []:
                    if entry.get("name") == version:
                        return (entry.get("schema") or {}).get("openAPIV3Schema")
        return None

    return load


def _vendored_schema_loader(item: vendor.VendoredKind) -> Callable[[], Any]:
    def load() -> Any:
        try:
            return item.load()["schema"]
        except vendor.SchemaImportError as exc:
            raise ManifestSchemaError(str(exc)) from exc

    return load


class ManifestSchemas:
    """Schemas for CRD kinds (vendored, or from a CRD directory) and built-in kinds (bundled).

    ``source`` says where the CRD schemas come from: ``vendored (KServe v0.20.0, ...)`` or
    ``CRD directory <path>``."""

    def __init__(self, crd_kinds: dict[tuple[str, str], _CrdKind], source: str, hint: str) -> None:
        self._crds = crd_kinds
        self.source = source
        self._hint = hint  # how to add a kind, for "no schema" messages
        self._checks: dict[tuple[str, str], tuple[_KindValidator, str, bool]] = {}

    def __repr__(self) -> str:
        return f"ManifestSchemas({self.source}, {len(self._crds)} CRD kind versions)"

    @classmethod
    def vendored(cls) -> "ManifestSchemas":
        """The upstream CRD schemas carried by the package (see :mod:`modelfleet.schemas.vendor`)."""
        try:
            items = vendor.vendored_kinds()
            summary = vendor.versions_summary()
        except (vendor.SchemaImportError, KeyError, TypeError) as exc:
            raise ManifestSchemaError(f"the vendored CRD schemas are unusable: {_one_line(exc)}") from exc
        index = {
            (item.api_version, item.kind): _CrdKind(
                item.group, item.kind, item.version, item.namespaced, str(item.file), ("vendored", str(item.file)),
                _vendored_schema_loader(item),
            )
            for item in items
        }
        return cls(index, f"vendored ({summary})",
                   f"the vendored CRDs ({summary}) do not define it; give a directory holding its CRD (--crds)")

    @classmethod
    def from_crd_dir(cls, crd_dir: Path) -> "ManifestSchemas":
        """The CRDs of a directory of upstream CRD YAML files (searched recursively), instead of the vendored ones."""
        crd_dir = Path(crd_dir)
        if not crd_dir.is_dir():
            raise ManifestSchemaError(f"CRD directory not found: {crd_dir}")
        files = sorted(p for p in crd_dir.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        index: dict[tuple[str, str], _CrdKind] = {}
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
                        name = version["name"]
                        index[(f"{group}/{name}", kind)] = _CrdKind(
                            group, kind, name, namespaced, str(file),
                            ("dir", *_file_key(file), group, kind, name),
                            _dir_schema_loader(file, group, kind, name),
                        )
        if not index:
            raise ManifestSchemaError(
                f"no served CustomResourceDefinition version found in {crd_dir} ({len(files)} YAML files)"
            )
        return cls(index, f"CRD directory {crd_dir}", "add its CRD to the CRD directory")

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
            raise ManifestSchemaError(self._unknown_message(api_version, kind))
        return (core[0], kind) not in _CLUSTER_SCOPED_CORE

    def crd_kinds(self) -> list[tuple[str, str]]:
        """All (apiVersion, kind) served by the CRD schemas, sorted."""
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
        if not av:
            raw.append(((), "'apiVersion' is a required property (a non-empty string)"))
        if not kd:
            raw.append(((), "'kind' is a required property (a non-empty string)"))
        checks = self._kind_checks(av, kd) if av and kd else None
        if av and kd and checks is None:
            raw.append(((), self._unknown_message(av, kd)))
        if checks is not None:
            validator, group, namespaced = checks
            raw.extend(validator.schema_problems(obj))
            raw.extend(_metadata_problems(obj, group, kd, namespaced))
        else:
            raw.extend(_metadata_problems(obj, av.rpartition("/")[0], kd, None))
        if not raw:
            return []
        raw = list(dict.fromkeys(raw))
        raw.sort(key=lambda p: (_sort_key(p[0]), p[1]))
        return [SchemaProblem(av, kd, name, namespace, _format_path(parts), message) for parts, message in raw]

    def _kind_checks(self, api_version: str, kind: str) -> tuple[_KindValidator, str, bool] | None:
        """The validator, API group and scope of a known kind (found once per kind), None for an unknown one."""
        key = (api_version, kind)
        checks = self._checks.get(key)
        if checks is None and self.knows(api_version, kind):
            group = self._crds[key].group if key in self._crds else _core().kinds[key][0]
            checks = self._checks[key] = (self._validator(api_version, kind), group, self.is_namespaced(api_version, kind))
        return checks

    def _validator(self, api_version: str, kind: str) -> _KindValidator:
        key = (api_version, kind)
        if key in self._crds:
            return _crd_validator(self._crds[key])
        return _core_validator(kind, _core().kinds[key][1])

    def _unknown_message(self, api_version: str, kind: str) -> str:
        return f"no schema for apiVersion {api_version} kind {kind}; {self._hint}"


# ---------------------------------------------------------------------------
# Kubernetes objects written inline in a stack file (affinity, topologySpreadConstraints)


def core_definition_problems(definition: str, value: Any) -> list[tuple[tuple, str]]:
    """Problems of `value` against one definition of the bundled strict core schemas, e.g.
    ``io.k8s.api.core.v1.Affinity``: (path inside the value, message), sorted; [] when valid."""
    validator = _COMPILED.get(("definition", definition))
    if validator is None:
        core = _core()
        schema = {"$ref": f"{core.defs_uri}#/$defs/{definition}"}
        rs = jsonschema_rs.Draft202012Validator(schema, registry=core.registry, validate_formats=False, mask=_MASK, offline=True)
        validator = _COMPILED[("definition", definition)] = _KindValidator(definition.rsplit(".", 1)[-1], rs, _Messages(schema, {core.defs_uri: core.definitions}))
    problems = list(dict.fromkeys(validator.schema_problems(value)))
    return sorted(problems, key=lambda problem: (_sort_key(problem[0]), problem[1]))
