"""trust-remote-code: executing a model repository's Python code is allowed only for vetted model sources.

Every spelling counts: `--trust-remote-code` / `--trust_remote_code` (vLLM, TGI, KServe's
huggingfaceserver), `=true`, `true` as the next argument, inside `sh -c` strings, a
`*TRUST_REMOTE_CODE` environment variable, and `trust_remote_code` anywhere in a RayService's
serveConfigV2 (Ray Serve LLM engine_kwargs, user_config, runtime_env env_vars).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from modelfleet_pack.support.commands import TRUTHY, literal_env, models, tokens
from modelfleet_pack.support.objects import KubeObject, items, mapping
from modelfleet_pack.support.policy import resource_policy
from modelfleet_pack.support.ray import ServeConfigError, serve_applications
from modelfleet_pack.support.workloads import KSERVE, RAY, SERVING_SPECS, Container, pods

CONFIG = {
    "allowedModels": {
        "type": "array",
        "items": {"type": "string", "minLength": 1},
        "default": [],
        "description": "Model sources (storageUri, LLMInferenceService model.uri, --model / --model-id value, Ray model_source) allowed to run remote code; shell-style wildcards.",
    },
}
FLAGS = ("--trust-remote-code", "--trust_remote_code")
ENV_NAME = re.compile(r"(^|_)TRUST_REMOTE_CODE$")
FALSY = ("false", "0", "no", "off")
# Where a Ray Serve application names its model (model_id is the served name, not the source).
RAY_MODEL_KEYS = ("model_source", "model", "MODEL_ID", "HF_MODEL_ID")


def _enabled(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in TRUTHY)


def _spellings(container: Container, words: list[str]) -> list[str]:
    """How the container turns trust-remote-code on (empty when it does not)."""
    found = []
    for index, word in enumerate(words):
        flag, equals, value = word.partition("=")
        if flag not in FLAGS:
            continue
        following = words[index + 1] if index + 1 < len(words) else ""
        if equals:
            if _enabled(value):
                found.append(word)
        elif _enabled(following):
            found.append(f"{word} {following}")
        elif following.lower() not in FALSY:
            found.append(word)  # a switch: followed by another flag, a positional argument or nothing
    found += [f"env {name}={value}" for _, name, value in literal_env(container) if ENV_NAME.search(name) and _enabled(value)]
    return found


def _isvc_sources(spec: dict) -> list[str]:
    """Where an InferenceService component's model comes from: storageUri, or an OpenShift AI data connection."""
    sources = []
    for key in SERVING_SPECS:
        model = mapping(spec.get(key))
        if isinstance(model.get("storageUri"), str):
            sources.append(model["storageUri"])
        storage = mapping(model.get("storage"))
        if storage.get("key") or storage.get("path"):
            sources.append(f"{storage.get('key', '')}/{storage.get('path', '')}")
    return sources


def _llm_sources(obj: KubeObject) -> list[str]:
    """An LLMInferenceService's spec.model.uri, and the hub id of an hf:// one (as --model would name it)."""
    uri = mapping(obj.spec.get("model")).get("uri") if obj.is_a(KSERVE, "LLMInferenceService") else None
    if not isinstance(uri, str):
        return []
    return [uri, uri[len("hf://"):]] if uri.startswith("hf://") else [uri]


def _through_mounts(paths: list[str], container: Container, pod_spec: dict) -> list[str]:
    """`pvc://<claim>/<path>` for local paths under a mounted PersistentVolumeClaim, so one allow-list
    entry covers a model whether KServe (storageUri) or a plain pod (--model /mnt/models/...) loads it."""
    claims = {
        volume.get("name"): mapping(volume.get("persistentVolumeClaim")).get("claimName")
        for volume in map(mapping, items(pod_spec.get("volumes")))
    }
    found = []
    for mount in map(mapping, items(container.spec.get("volumeMounts"))):
        claim, mount_path = claims.get(mount.get("name")), str(mount.get("mountPath") or "").rstrip("/")
        for path in paths:
            if claim and mount_path and (path == mount_path or path.startswith(mount_path + "/")):
                rest = "/".join(part for part in (mount.get("subPath"), path[len(mount_path) :].strip("/")) if part)
                found.append(f"pvc://{claim}/{rest}" if rest else f"pvc://{claim}")
    return found


def _allowed(sources: list[str], patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(source, pattern) for source in sources for pattern in patterns)


def _report(where: str, spelling: str, sources: list[str], patterns: list[str]) -> Iterator[str]:
    if not sources:
        yield f"{where}: {spelling} trusts remote code from a model whose source cannot be determined"
    elif not _allowed(sources, patterns):
        listed = ", ".join(f"'{source}'" for source in sources)
        yield f"{where}: {spelling} trusts remote code from {listed}, which is not on the allow-list"


def _container_findings(obj: KubeObject, patterns: list[str]) -> Iterator[str]:
    for pod in pods(obj):
        component = pod.spec if obj.is_a(KSERVE, "InferenceService") else {}
        for container in pod.containers:
            words = tokens(container)
            named = models(words, container)
            sources = named + _through_mounts(named, container, pod.spec) + _isvc_sources(component) + _llm_sources(obj)
            for spelling in _spellings(container, words):
                yield from _report(container.path, spelling, sources, patterns)


def _walk(value: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) of every mapping entry below `value`."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path, str(key), item
            yield from _walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


def _ray_findings(obj: KubeObject, patterns: list[str]) -> Iterator[str]:
    try:
        applications = serve_applications(obj)
    except ServeConfigError as error:
        yield f"spec.serveConfigV2: {error}, so trust_remote_code cannot be checked"
        return
    for index, app in enumerate(applications):
        where = f"spec.serveConfigV2.applications[{index}]"
        entries = list(_walk(app, where))
        sources = [value for _, key, value in entries if key in RAY_MODEL_KEYS and isinstance(value, str)]
        for path, key, value in entries:
            if (key == "trust_remote_code" or ENV_NAME.search(key)) and _enabled(value):
                shown = str(value).lower() if isinstance(value, bool) else value
                yield from _report(f"{path}.{key}", f"{key}={shown}", sources, patterns)


def check(obj: KubeObject, config: Mapping[str, Any]) -> Iterator[str]:
    patterns = list(config["allowedModels"])
    yield from _container_findings(obj, patterns)
    if obj.is_a(RAY, "RayService"):
        yield from _ray_findings(obj, patterns)


POLICY = resource_policy(
    name="trust-remote-code",
    description="trust-remote-code is enabled only for model sources on the allow-list.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Remove --trust-remote-code (in modelfleet: engine.trustRemoteCode), or, after reviewing the model "
        "repository's code, add its source to trust-remote-code.allowedModels in policies/config/<env>.json."
    ),
    check=check,
    config=CONFIG,
)
