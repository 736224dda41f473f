"""GitOps engine objects of one environment: an Argo CD Application and/or a Flux GitRepository + Kustomization
pointing at the environment's rendered tree on the deploy branch.

They are rendered to rendered/<env>/gitops/, outside the environment's kustomization.yaml: the engine builds that
kustomization, so it never manages (or prunes) its own bootstrap objects. Pulumi does not deploy them.

Decisions:
* Object names are `modelfleet-<environment name>` (the project name, then environment.name or the stack name),
  so several environments can share one Argo CD or Flux installation. They must be DNS-1123 labels of at most
  63 characters: Argo CD (label tracking) and Flux put the name into a label value on every object they apply.
* No `CreateNamespace=true` sync option: with `environment.createNamespace: true` the Namespace is part of the
  tree, and with false the namespace belongs to someone else (quotas, RBAC, OpenShift AI project labels) and must
  exist, as for `pulumi up`. Flux has no such option either, so both engines behave the same.
* `PruneLast=true` with automated pruning: objects that left the tree are deleted after the rest is synced.
* No resources finalizer on the Application: deleting it leaves the served models running.
* The Flux Kustomization sets no targetNamespace: every rendered object carries its namespace (cluster-scoped
  ones none, and the Knative feature-flag patch lives in knative-serving).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from modelfleet.plan import EnvironmentPlan
from modelfleet.spec.base import DNS1123_LABEL
from modelfleet.spec.gitops import GitOps
from modelfleet.spec.stack import CONFIG_NAMESPACE

ARGOCD_API_VERSION = "argoproj.io/v1alpha1"
FLUX_SOURCE_API_VERSION = "source.toolkit.fluxcd.io/v1"
FLUX_KUSTOMIZE_API_VERSION = "kustomize.toolkit.fluxcd.io/v1"
MAX_NAME_LENGTH = 63

_LABEL = re.compile(DNS1123_LABEL)


@dataclass(frozen=True)
class GitOpsTarget:
    """What the engine objects are built from: the gitops spec with its defaults resolved for one environment."""

    name: str                                   # metadata.name of every engine object
    spec: GitOps
    path: str                                   # the tree's directory in the repository, without a leading './'
    destination_namespace: str                  # the environment's namespace
    labels: tuple[tuple[str, str], ...]
    annotations: tuple[tuple[str, str], ...]


def gitops_target(spec: GitOps, stack: str, env: EnvironmentPlan) -> GitOpsTarget:
    """Resolve the gitops block of stack `stack` (whose tree is rendered/<stack>/) for environment `env`."""
    path = spec.path.removeprefix("./") if spec.path is not None else f"rendered/{stack}"
    return GitOpsTarget(
        name=f"{CONFIG_NAMESPACE}-{env.name}",
        spec=spec,
        path=path,
        destination_namespace=env.namespace,
        labels=env.labels,
        annotations=env.annotations,
    )


def name_problem(target: GitOpsTarget) -> str | None:
    """Why the derived object name cannot be used, with the fix; None when it can."""
    name = target.name
    if len(name) > MAX_NAME_LENGTH:
        room = MAX_NAME_LENGTH - len(CONFIG_NAMESPACE) - 1
        return (
            f"the GitOps engine objects would be named '{name}' ({len(name)} characters), but Argo CD and Flux "
            f"put the name in a label value of at most {MAX_NAME_LENGTH}; set environment.name to at most {room} characters"
        )
    if not _LABEL.match(name):
        return (
            f"the GitOps engine objects would be named '{name}', which is not a DNS-1123 label (lowercase letters, "
            "digits and '-'); set environment.name, e.g. to the stack name in lowercase"
        )
    return None


def _metadata(target: GitOpsTarget, namespace: str) -> dict:
    metadata: dict = {"name": target.name, "namespace": namespace}
    if target.labels:
        metadata["labels"] = dict(sorted(target.labels))
    if target.annotations:
        metadata["annotations"] = dict(sorted(target.annotations))
    return metadata


def build_argocd_application(target: GitOpsTarget) -> dict:
    """An Application syncing the tree automatically into the environment's namespace of the destination cluster."""
    argocd = target.spec.argocd
    sync_policy: dict = {"automated": {"prune": argocd.prune, "selfHeal": argocd.self_heal}}
    if argocd.prune:
        sync_policy["syncOptions"] = ["PruneLast=true"]
    return {
        "apiVersion": ARGOCD_API_VERSION,
        "kind": "Application",
        "metadata": _metadata(target, argocd.namespace),
        "spec": {
            "project": argocd.project,
            "source": {
                "repoURL": target.spec.repo_url,
                "targetRevision": target.spec.branch,
                "path": target.path,
            },
            "destination": {"server": argocd.server, "namespace": target.destination_namespace},
            "syncPolicy": sync_policy,
        },
    }


def build_flux_git_repository(target: GitOpsTarget) -> dict:
    """The GitRepository Flux fetches the deploy branch with."""
    flux = target.spec.flux
    spec: dict = {"interval": flux.interval, "url": target.spec.repo_url, "ref": {"branch": target.spec.branch}}
    if flux.secret_ref is not None:
        spec["secretRef"] = {"name": flux.secret_ref}
    return {
        "apiVersion": FLUX_SOURCE_API_VERSION,
        "kind": "GitRepository",
        "metadata": _metadata(target, flux.namespace),
        "spec": spec,
    }


def build_flux_kustomization(target: GitOpsTarget) -> dict:
    """The Kustomization applying the tree from that GitRepository (same name and namespace)."""
    flux = target.spec.flux
    spec: dict = {
        "interval": flux.interval,
        "sourceRef": {"kind": "GitRepository", "name": target.name},
        "path": f"./{target.path}",
        "prune": flux.prune,
    }
    if flux.timeout is not None:
        spec["timeout"] = flux.timeout
    return {
        "apiVersion": FLUX_KUSTOMIZE_API_VERSION,
        "kind": "Kustomization",
        "metadata": _metadata(target, flux.namespace),
        "spec": spec,
    }


def build_gitops(target: GitOpsTarget) -> list[dict]:
    """Every engine object of the environment, in a stable order: Argo CD, then Flux source and Kustomization."""
    objects = []
    if target.spec.argocd is not None:
        objects.append(build_argocd_application(target))
    if target.spec.flux is not None:
        objects += [build_flux_git_repository(target), build_flux_kustomization(target)]
    return objects
