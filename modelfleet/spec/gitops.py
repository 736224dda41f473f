"""The gitops block: GitOps engine objects that point at this environment's rendered tree.

With `modelfleet:gitops` set, `modelfleet render` also writes an Argo CD Application and/or a Flux
GitRepository + Kustomization into rendered/<env>/gitops/ (outside the environment's kustomization, so the
engine never manages its own bootstrap objects). They sync rendered/<env>/ from the deploy branch.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, WithJsonSchema, model_validator

from modelfleet.spec.base import Dns1123Label, ObjectName, SpecModel, shown_value

_CREDENTIALS_IN_URL = re.compile(r"^(https?://[^/\s]*@|[a-z+]+://[^/@\s]*:[^/@\s]*@)")
_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]+)?/[^\s]*[^\s/]$")
_SSH_URL = re.compile(r"^ssh://([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+(:[0-9]+)?/[^\s]*[^\s/]$")
SCP_LIKE_URL = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s/][^\s]*$")
"""git@github.com:org/repo.git: Argo CD takes it, Flux does not (its url must start with http, https or ssh)."""

_GIT_URL_JSON_PATTERN = (
    r"^(https://[A-Za-z0-9.-]+(:[0-9]+)?/[^\s]*[^\s/]"
    r"|ssh://([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+(:[0-9]+)?/[^\s]*[^\s/]"
    r"|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s/][^\s]*)$"
)


def _git_url(value: str) -> str:
    if _CREDENTIALS_IN_URL.match(value):  # never echo the value: it holds a password or token
        raise ValueError(
            "the URL carries credentials; remove them and give Argo CD repository credentials or flux.secretRef instead"
        )
    if not (_HTTPS_URL.match(value) or _SSH_URL.match(value) or SCP_LIKE_URL.match(value)):
        shown = shown_value(value)
        raise ValueError(
            f"'{shown}' is not an https:// or ssh git URL; write e.g. https://github.com/acme/model-serving.git "
            "or ssh://git@github.com/acme/model-serving.git"
        )
    return value


GitUrl = Annotated[
    str,
    AfterValidator(_git_url),
    WithJsonSchema({"type": "string", "pattern": _GIT_URL_JSON_PATTERN}),
]
"""An https:// or ssh git URL without credentials (ssh://git@host/org/repo.git or git@host:org/repo.git)."""

_BRANCH = re.compile(r"^(?!-)(?!/)(?!.*\.\.)(?!.*//)(?!.*@\{)(?!.*/\.)(?!.*\.lock(/|$))(?!.*[/.]$)[^\s~^:?*\[\\\x00-\x1f\x7f]+$")


def _branch(value: str) -> str:
    if value in ("@", "HEAD") or value.startswith(("refs/", ".")) or not _BRANCH.match(value):
        shown = shown_value(value)
        raise ValueError(f"'{shown}' is not a git branch name; write the short name, e.g. deploy")
    return value


Branch = Annotated[
    str,
    AfterValidator(_branch),
    WithJsonSchema({"type": "string", "pattern": r"^[^\s~^:?*\[\\]+$"}),
]
"""A git branch name as `git check-ref-format --branch` takes it (without refs/heads/)."""


def _repository_path(value: str) -> str:
    parts = value.removeprefix("./").split("/")
    if any(part in ("", ".", "..") or part != part.strip() for part in parts) or "\\" in value:
        shown = shown_value(value)
        raise ValueError(
            f"'{shown}' is not a directory inside the repository; write it relative to the repository root, "
            "without '..' or a trailing '/', e.g. rendered/prod"
        )
    return value


RepositoryPath = Annotated[str, AfterValidator(_repository_path)]
"""A directory of the git repository, relative to its root (a leading './' is allowed)."""

_FLUX_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$")
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def _flux_duration(value: str) -> str:
    if not _FLUX_DURATION.match(value):
        shown = value if len(value) <= 30 else value[:27] + "..."
        raise ValueError(f"'{shown}' is not a Flux duration; write e.g. 30s, 5m, 1h or 1m30s")
    if sum(float(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION_PART.findall(value)) <= 0:
        raise ValueError(f"'{value}' is zero; give a duration above zero, e.g. 5m")
    return value


FluxDuration = Annotated[
    str,
    AfterValidator(_flux_duration),
    WithJsonSchema({"type": "string", "pattern": _FLUX_DURATION.pattern}),
]
"""A Go duration as the Flux APIs take it: numbers with ms, s, m or h ('30s', '5m', '1h30m')."""

_CLUSTER_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s]*)?$")


def _cluster_url(value: str) -> str:
    if not _CLUSTER_URL.match(value):
        shown = shown_value(value)
        raise ValueError(
            f"'{shown}' is not the https:// URL of a Kubernetes API server; write e.g. https://kubernetes.default.svc"
        )
    return value


ClusterUrl = Annotated[
    str,
    AfterValidator(_cluster_url),
    WithJsonSchema({"type": "string", "pattern": _CLUSTER_URL.pattern}),
]


class ArgoCd(SpecModel):
    """An Argo CD Application (argoproj.io/v1alpha1) that syncs the environment's rendered tree automatically."""

    namespace: Dns1123Label = Field(
        "argocd",
        description="Namespace of the Application: the namespace Argo CD runs in (or one it watches with "
        "applications in any namespace).",
    )
    project: ObjectName = Field("default", description="Argo CD project (AppProject) the Application belongs to.")
    server: ClusterUrl = Field(
        "https://kubernetes.default.svc",
        description="destination.server: API server of the target cluster as registered in Argo CD; the default "
        "is the cluster Argo CD runs in.",
    )
    prune: bool = Field(
        True,
        description="syncPolicy.automated.prune: delete objects that left the rendered tree (a disabled model's "
        "InferenceService, ...). Also adds the sync option PruneLast=true, so deletions wait until the rest is synced.",
    )
    self_heal: bool = Field(
        True, description="syncPolicy.automated.selfHeal: revert changes made on the cluster to the rendered state."
    )


class Flux(SpecModel):
    """A Flux GitRepository (source.toolkit.fluxcd.io/v1) and a Kustomization (kustomize.toolkit.fluxcd.io/v1) applying the rendered tree."""

    namespace: Dns1123Label = Field("flux-system", description="Namespace of the GitRepository and the Kustomization.")
    interval: FluxDuration = Field(
        "5m",
        description="How often Flux fetches the branch and reconciles the tree (spec.interval of both objects), "
        "e.g. 1m, 5m, 1h.",
    )
    prune: bool = Field(
        True,
        description="Kustomization spec.prune: delete objects that left the rendered tree (a disabled model's "
        "InferenceService, ...).",
    )
    secret_ref: ObjectName | None = Field(
        None,
        description="Name of an existing Secret in flux.namespace with the git credentials (username and password, or "
        "bearerToken, for https; identity and known_hosts for ssh, where it is required). Never rendered.",
    )
    timeout: FluxDuration | None = Field(
        None, description="Kustomization spec.timeout for apply and health checks; Flux's default derives it from interval."
    )


class GitOps(SpecModel):
    """Argo CD and/or Flux objects named modelfleet-<environment name>, rendered to rendered/<env>/gitops/; set argocd, flux or both."""

    repo_url: GitUrl = Field(
        alias="repoURL",
        description="Git repository the deploy branch lives in: https://host/org/repo.git, "
        "ssh://git@host/org/repo.git, or git@host:org/repo.git (Argo CD only; Flux needs the ssh:// form). "
        "No credentials in the URL.",
    )
    branch: Branch = Field(
        "deploy",
        description="Branch holding the rendered trees: the branch the deploy workflow publishes rendered/<env>/ to "
        "(Argo CD targetRevision, Flux ref.branch).",
    )
    path: RepositoryPath | None = Field(
        None,
        description="Directory of this environment's tree in the repository; default rendered/<env>, where <env> is "
        "the stack name (the directory `modelfleet render` writes).",
    )
    argocd: ArgoCd | None = Field(None, description="Render an Argo CD Application; {} takes every default.")
    flux: Flux | None = Field(None, description="Render a Flux GitRepository and Kustomization; {} takes every default.")

    @model_validator(mode="after")
    def _engines(self) -> "GitOps":
        if self.argocd is None and self.flux is None:
            raise ValueError(
                "no GitOps engine chosen; add an argocd block, a flux block or both ({} takes the defaults), or remove gitops"
            )
        if self.flux is not None and SCP_LIKE_URL.match(self.repo_url):
            user, _, rest = self.repo_url.partition("@")
            host, _, repository = rest.partition(":")
            raise ValueError(
                f"Flux does not take scp-like git URLs; write repoURL as ssh://{user}@{host}/{repository}"
            )
        if self.flux is not None and self.repo_url.startswith("ssh://") and self.flux.secret_ref is None:
            raise ValueError(
                "Flux clones an ssh:// repository with the identity and known_hosts of a Secret; set flux.secretRef "
                "to its name, or use an https:// repoURL"
            )
        return self
