"""GitOps engine objects (modelfleet:gitops): Argo CD Application, Flux GitRepository + Kustomization.

Built from the stack, validated strictly against the vendored Argo CD / Flux CRDs, rendered to rendered/<env>/gitops/ outside
the environment's kustomization, never part of what Pulumi registers or the policy pack checks.
"""

from __future__ import annotations

import copy
import shutil
import subprocess

import pytest
import yaml

from modelfleet import compile as compile_module
from modelfleet.build.gitops import build_gitops
from modelfleet.cli import main
from modelfleet.compile import compile_environments
from modelfleet.render.files import KUSTOMIZATION
from modelfleet.render.write import OWNER_MARKER
from modelfleet.spec.gitops import GitOps
from modelfleet.load.project import Project, SpecError
from tests.conftest import ENVIRONMENTS, MINIMAL_SHARED, ROOT

STACK = "config:\n  modelfleet:environment:\n    namespace: ml-dev\n"
LABELS = {"app.kubernetes.io/part-of": "modelfleet", "modelfleet.io/environment": "dev"}


def compiled(project, gitops: str, stack: str = STACK, shared: str = MINIMAL_SHARED):
    """Compile environment dev of a project whose stack file is `stack` followed by the config lines `gitops`."""
    project.write("shared.yaml", shared)
    project.write("Pulumi.dev.yaml", stack + gitops)
    [item] = compile_environments(Project.at(project.root), ["dev"], None)
    return item


def problems(project, gitops: str, stack: str = STACK, shared: str = MINIMAL_SHARED) -> list[str]:
    project.write("shared.yaml", shared)
    project.write("Pulumi.dev.yaml", stack + gitops)
    with pytest.raises(SpecError) as caught:
        compile_environments(Project.at(project.root), ["dev"], None)
    return [str(problem) for problem in caught.value.problems]


# ---------------------------------------------------------------------------------------------------------------
# The objects


def test_argocd_application_with_defaults(project):
    item = compiled(project, "  modelfleet:gitops:\n    repoURL: https://github.com/acme/model-serving.git\n    argocd: {}\n")
    assert item.gitops_objects == [
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": "modelfleet-dev", "namespace": "argocd", "labels": LABELS},
            "spec": {
                "project": "default",
                "source": {"repoURL": "https://github.com/acme/model-serving.git", "targetRevision": "deploy", "path": "rendered/dev"},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": "ml-dev"},
                "syncPolicy": {"automated": {"prune": True, "selfHeal": True}, "syncOptions": ["PruneLast=true"]},
            },
        }
    ]


def test_argocd_application_with_every_setting(project):
    item = compiled(
        project,
        """\
  modelfleet:gitops:
    repoURL: git@github.com:acme/model-serving.git
    branch: release/ml
    path: ./deploy/ml-dev
    argocd:
      namespace: gitops
      project: ml-platform
      server: https://10.0.0.1:6443
      prune: false
      selfHeal: false
""",
        stack=STACK + "    name: sandbox\n    annotations: {owner: ml-team}\n",
    )
    [application] = item.gitops_objects
    assert application["metadata"] == {
        "name": "modelfleet-sandbox",
        "namespace": "gitops",
        "labels": {"app.kubernetes.io/part-of": "modelfleet", "modelfleet.io/environment": "sandbox"},
        "annotations": {"owner": "ml-team"},
    }
    assert application["spec"] == {
        "project": "ml-platform",
        "source": {"repoURL": "git@github.com:acme/model-serving.git", "targetRevision": "release/ml", "path": "deploy/ml-dev"},
        "destination": {"server": "https://10.0.0.1:6443", "namespace": "ml-dev"},
        "syncPolicy": {"automated": {"prune": False, "selfHeal": False}},
    }


def test_flux_git_repository_and_kustomization_with_defaults(project):
    item = compiled(project, "  modelfleet:gitops:\n    repoURL: https://github.com/acme/model-serving.git\n    flux: {}\n")
    metadata = {"name": "modelfleet-dev", "namespace": "flux-system", "labels": LABELS}
    assert item.gitops_objects == [
        {
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "GitRepository",
            "metadata": metadata,
            "spec": {"interval": "5m", "url": "https://github.com/acme/model-serving.git", "ref": {"branch": "deploy"}},
        },
        {
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
            "kind": "Kustomization",
            "metadata": metadata,
            "spec": {
                "interval": "5m",
                "sourceRef": {"kind": "GitRepository", "name": "modelfleet-dev"},
                "path": "./rendered/dev",
                "prune": True,
            },
        },
    ]
    assert "targetNamespace" not in item.gitops_objects[1]["spec"]  # the rendered objects carry their namespace


def test_flux_with_every_setting_and_both_engines(project):
    item = compiled(
        project,
        """\
  modelfleet:gitops:
    repoURL: ssh://git@github.com/acme/model-serving.git
    branch: main
    path: clusters/ml
    argocd: {}
    flux:
      namespace: flux
      interval: 1m30s
      prune: false
      secretRef: flux-git-ssh
      timeout: 10m
""",
    )
    assert [(obj["kind"], obj["metadata"]["namespace"]) for obj in item.gitops_objects] == [
        ("Application", "argocd"), ("GitRepository", "flux"), ("Kustomization", "flux"),
    ]
    _, source, kustomization = item.gitops_objects
    assert source["spec"] == {
        "interval": "1m30s",
        "url": "ssh://git@github.com/acme/model-serving.git",
        "ref": {"branch": "main"},
        "secretRef": {"name": "flux-git-ssh"},
    }
    assert kustomization["spec"] == {
        "interval": "1m30s",
        "sourceRef": {"kind": "GitRepository", "name": "modelfleet-dev"},
        "path": "./clusters/ml",
        "prune": False,
        "timeout": "10m",
    }


def test_spec_defaults():
    gitops = GitOps.model_validate({"repoURL": "https://github.com/acme/model-serving.git", "argocd": {}, "flux": {}})
    assert (gitops.branch, gitops.path) == ("deploy", None)
    assert gitops.argocd.model_dump() == {
        "namespace": "argocd", "project": "default", "server": "https://kubernetes.default.svc", "prune": True, "selfHeal": True,
    }
    assert gitops.flux.model_dump() == {"namespace": "flux-system", "interval": "5m", "prune": True, "secretRef": None, "timeout": None}


def test_no_gitops_no_engine_objects(project):
    assert compiled(project, "").gitops_objects == []


def test_engine_objects_stay_out_of_the_environments_objects():
    """objects is what Pulumi registers (parity test), what `modelfleet check` and the CRD validation see."""
    project = Project.at(ROOT)
    for item in compile_environments(project, list(ENVIRONMENTS), None):
        assert [obj["kind"] for obj in item.gitops_objects] == ["Application"]
        assert not any(obj["apiVersion"].startswith(("argoproj.io/", "source.toolkit.fluxcd.io/", "kustomize.toolkit.fluxcd.io/")) for obj in item.objects)
        assert item.gitops_objects[0]["spec"]["destination"]["namespace"] == item.plan.namespace == f"ml-{item.env}"


# ---------------------------------------------------------------------------------------------------------------
# Merge with the shared definitions


SHARED_WITH_ARGOCD = MINIMAL_SHARED + """
  modelfleet:gitops:
    repoURL: https://github.com/acme/model-serving.git
    argocd: {}
"""


def test_stack_switches_the_shared_engine_to_flux(project):
    item = compiled(project, "  modelfleet:gitops:\n    argocd: null\n    flux: {interval: 10m}\n", shared=SHARED_WITH_ARGOCD)
    assert [obj["kind"] for obj in item.gitops_objects] == ["GitRepository", "Kustomization"]
    assert item.gitops_objects[0]["spec"]["url"] == "https://github.com/acme/model-serving.git"


def test_stack_turns_shared_gitops_off_with_null(project):
    assert compiled(project, "  modelfleet:gitops: null\n", shared=SHARED_WITH_ARGOCD).gitops_objects == []


# ---------------------------------------------------------------------------------------------------------------
# Errors: every one located, with the fix


def test_gitops_without_an_engine_is_a_located_error(project):
    found = problems(project, "  modelfleet:gitops:\n    repoURL: https://github.com/acme/model-serving.git\n")
    assert found == [
        "stacks/Pulumi.dev.yaml:4:3: gitops: no GitOps engine chosen; add an argocd block, a flux block or both "
        "({} takes the defaults), or remove gitops"
    ]


def test_engine_set_to_null_in_shared_file_is_no_engine(project):
    shared = MINIMAL_SHARED + "  modelfleet:gitops:\n    repoURL: https://github.com/acme/model-serving.git\n    argocd:\n"
    assert problems(project, "", shared=shared) == [
        "stacks/shared.yaml:24:3: gitops: no GitOps engine chosen; add an argocd block, a flux block or both "
        "({} takes the defaults), or remove gitops"
    ]


def test_field_errors_are_located_with_fixes(project):
    found = problems(
        project,
        """\
  modelfleet:gitops:
    repoURL: http://github.com/acme/model-serving.git
    branch: refs/heads/deploy
    path: ../rendered/dev
    argocd:
      server: kubernetes.default.svc
      selfheal: true
    flux:
      interval: 5 minutes
      timeout: 0s
      secretRef: Git_Credentials
""",
    )
    assert found == [
        "stacks/Pulumi.dev.yaml:5:5: gitops.repoURL: 'http://github.com/acme/model-serving.git' is not an https:// or ssh "
        "git URL; write e.g. https://github.com/acme/model-serving.git or ssh://git@github.com/acme/model-serving.git",
        "stacks/Pulumi.dev.yaml:6:5: gitops.branch: 'refs/heads/deploy' is not a git branch name; write the short name, e.g. deploy",
        "stacks/Pulumi.dev.yaml:7:5: gitops.path: '../rendered/dev' is not a directory inside the repository; write it "
        "relative to the repository root, without '..' or a trailing '/', e.g. rendered/prod",
        "stacks/Pulumi.dev.yaml:9:7: gitops.argocd.server: 'kubernetes.default.svc' is not the https:// URL of a "
        "Kubernetes API server; write e.g. https://kubernetes.default.svc",
        "stacks/Pulumi.dev.yaml:10:7: gitops.argocd.selfheal: unknown field 'selfheal'; did you mean 'selfHeal'?",
        "stacks/Pulumi.dev.yaml:12:7: gitops.flux.interval: '5 minutes' is not a Flux duration; write e.g. 30s, 5m, 1h or 1m30s",
        "stacks/Pulumi.dev.yaml:13:7: gitops.flux.timeout: '0s' is zero; give a duration above zero, e.g. 5m",
        "stacks/Pulumi.dev.yaml:14:7: gitops.flux.secretRef: a string must be a DNS-1123 subdomain: "
        "lowercase letters, digits, '-' and '.'",  # a secret's name is not echoed, as everywhere
    ]


def test_repo_url_spelling_and_missing_url(project):
    found = problems(project, "  modelfleet:gitops:\n    repoUrl: https://github.com/acme/model-serving.git\n    argocd: {}\n")
    assert found == [
        "stacks/Pulumi.dev.yaml:4:3: gitops.repoURL: required field 'repoURL' is missing; add it",
        "stacks/Pulumi.dev.yaml:5:5: gitops.repoUrl: unknown field 'repoUrl'; did you mean 'repoURL'?",
    ]


def test_credentials_in_the_url_are_refused_and_never_echoed(project):
    found = problems(project, "  modelfleet:gitops:\n    repoURL: https://ci:ghp_s3cr3t@github.com/acme/model-serving.git\n    flux: {}\n")
    assert found == [
        "stacks/Pulumi.dev.yaml:5:5: gitops.repoURL: the URL carries credentials; remove them and give Argo CD repository "
        "credentials or flux.secretRef instead"
    ]
    assert "ghp_s3cr3t" not in "\n".join(found)


def test_flux_needs_an_ssh_url_and_a_secret_for_ssh(project):
    scp = problems(project, "  modelfleet:gitops:\n    repoURL: git@github.com:acme/model-serving.git\n    flux: {secretRef: git-ssh}\n")
    assert scp == [
        "stacks/Pulumi.dev.yaml:4:3: gitops: Flux does not take scp-like git URLs; write repoURL as "
        "ssh://git@github.com/acme/model-serving.git"
    ]
    ssh = problems(project, "  modelfleet:gitops:\n    repoURL: ssh://git@github.com/acme/model-serving.git\n    flux: {}\n")
    assert ssh == [
        "stacks/Pulumi.dev.yaml:4:3: gitops: Flux clones an ssh:// repository with the identity and known_hosts of a "
        "Secret; set flux.secretRef to its name, or use an https:// repoURL"
    ]


def test_object_name_longer_than_a_label_value_is_a_located_error(project):
    long_name = "e" * 53  # a valid environment name, but modelfleet-<name> is 64 characters
    found = problems(
        project,
        "  modelfleet:gitops:\n    repoURL: https://github.com/acme/model-serving.git\n    argocd: {}\n",
        stack=STACK + f"    name: {long_name}\n",
    )
    assert found == [
        f"stacks/Pulumi.dev.yaml:5:3: gitops: the GitOps engine objects would be named 'modelfleet-{long_name}' "
        "(64 characters), but Argo CD and Flux put the name in a label value of at most 63; set environment.name "
        "to at most 52 characters"
    ]
    assert compiled(project, "  modelfleet:gitops:\n    repoURL: https://github.com/acme/model-serving.git\n    argocd: {}\n",
                    stack=STACK + f"    name: {long_name[:52]}\n").gitops_objects[0]["metadata"]["name"] == f"modelfleet-{long_name[:52]}"


def test_object_name_from_a_stack_name_that_is_not_a_label(project):
    project.write("shared.yaml", MINIMAL_SHARED)
    project.write("Pulumi.Dev_1.yaml", STACK + "  modelfleet:gitops:\n    repoURL: https://github.com/acme/model-serving.git\n    argocd: {}\n")
    with pytest.raises(SpecError) as caught:
        compile_environments(Project.at(project.root), ["Dev_1"], None)
    assert [str(p) for p in caught.value.problems] == [
        "stacks/Pulumi.Dev_1.yaml:4:3: gitops: the GitOps engine objects would be named 'modelfleet-Dev_1', which is not "
        "a DNS-1123 label (lowercase letters, digits and '-'); set environment.name, e.g. to the stack name in lowercase"
    ]


# ---------------------------------------------------------------------------------------------------------------
# Strict schema validation of the built objects


@pytest.fixture(scope="module")
def engine_objects() -> list[dict]:
    """One of each kind, as the builder makes them."""
    from modelfleet.build.gitops import gitops_target
    from modelfleet.resolve.environment import resolve
    from modelfleet.spec.stack_loader import load_stack

    loaded = load_stack(Project.at(ROOT), "dev")
    spec = GitOps.model_validate({"repoURL": "https://github.com/acme/model-serving.git", "argocd": {},
                                  "flux": {"secretRef": "git-credentials", "timeout": "10m"}})
    return build_gitops(gitops_target(spec, "dev", resolve(loaded)))


def test_built_objects_are_valid_against_the_upstream_crds(engine_objects, schemas):
    assert [(obj["apiVersion"], obj["kind"]) for obj in engine_objects] == [
        ("argoproj.io/v1alpha1", "Application"), ("source.toolkit.fluxcd.io/v1", "GitRepository"), ("kustomize.toolkit.fluxcd.io/v1", "Kustomization")]
    assert [schemas.validate(obj) for obj in engine_objects] == [[], [], []]


def test_schema_rejects_unknown_fields(engine_objects, schemas):
    application, source, kustomization = copy.deepcopy(engine_objects)
    application["spec"]["syncPolicy"]["automated"]["selfheal"] = True
    application["metadata"]["finalizers"] = ["resources-finalizer.argocd.argoproj.io"]  # a real field: fine
    kustomization["spec"]["targetNamespce"] = "ml-dev"
    assert [str(p) for p in schemas.validate(application)] == ["Application argocd/modelfleet-dev: spec.syncPolicy.automated: unknown field 'selfheal'"]
    assert [str(p) for p in schemas.validate(kustomization)] == ["Kustomization flux-system/modelfleet-dev: spec: unknown field 'targetNamespce'"]


def test_schema_rejects_missing_required_fields(engine_objects, schemas):
    application, source, kustomization = copy.deepcopy(engine_objects)
    del application["spec"]["project"]
    del application["spec"]["source"]["repoURL"]
    del source["spec"]["url"]
    del kustomization["spec"]["prune"]
    del kustomization["spec"]["sourceRef"]["kind"]
    assert [str(p) for p in schemas.validate(application)] == [
        "Application argocd/modelfleet-dev: spec: 'project' is a required property",
        "Application argocd/modelfleet-dev: spec.source: 'repoURL' is a required property",
    ]
    assert [str(p) for p in schemas.validate(source)] == ["GitRepository flux-system/modelfleet-dev: spec: 'url' is a required property"]
    assert [str(p) for p in schemas.validate(kustomization)] == [
        "Kustomization flux-system/modelfleet-dev: spec: 'prune' is a required property",
        "Kustomization flux-system/modelfleet-dev: spec.sourceRef: 'kind' is a required property",
    ]


def test_schema_rejects_wrong_values_and_unknown_versions(engine_objects, schemas):
    application, source, kustomization = copy.deepcopy(engine_objects)
    source["spec"]["url"] = "git@github.com:acme/model-serving.git"  # Flux: ^(http|https|ssh)://
    source["spec"]["interval"] = "5 min"
    kustomization["spec"]["sourceRef"]["kind"] = "HelmRepository"
    kustomization["spec"]["prune"] = "true"
    application["metadata"]["name"] = "Modelfleet_Dev"
    assert [p.path for p in schemas.validate(source)] == ["spec.interval", "spec.url"]
    assert [(p.path, p.message) for p in schemas.validate(kustomization)] == [
        ("spec.prune", "'true' is not of type 'boolean'"),
        ("spec.sourceRef.kind", "'HelmRepository' is not one of ['OCIRepository', 'GitRepository', 'Bucket', 'ExternalArtifact']"),
    ]
    assert [p.path for p in schemas.validate(application)] == ["metadata.name"]
    unknown = dict(application, apiVersion="argoproj.io/v1beta1")
    assert "no schema for apiVersion argoproj.io/v1beta1 kind Application" in schemas.validate(unknown)[0].message


def test_compile_reports_a_broken_built_object_like_other_schema_problems(project, monkeypatch, schemas):
    def broken(target):
        objects = build_gitops(target)
        objects[0]["spec"]["syncPolicy"]["automated"]["allowEmtpy"] = True
        return objects

    monkeypatch.setattr(compile_module, "build_gitops", broken)
    project.write("shared.yaml", MINIMAL_SHARED)
    project.write("Pulumi.dev.yaml", STACK + "  modelfleet:gitops:\n    repoURL: https://github.com/acme/model-serving.git\n    argocd: {}\n")
    with pytest.raises(SpecError) as caught:
        compile_environments(Project.at(project.root), ["dev"], schemas)
    assert [str(problem) for problem in caught.value.problems] == [
        "stacks/Pulumi.dev.yaml:4:3: built Application argocd/modelfleet-dev: spec.syncPolicy.automated: "
        "unknown field 'allowEmtpy'"
    ]


# ---------------------------------------------------------------------------------------------------------------
# Render layout


def test_render_writes_engine_objects_to_gitops_outside_the_kustomization(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["render", "--project", str(ROOT), "--out", str(out), "dev"]) == 0
    tree = out / "dev"
    assert sorted(p.name for p in (tree / "gitops").iterdir()) == ["application.argoproj.io_argocd_modelfleet-dev.yaml"]
    resources = yaml.safe_load((tree / KUSTOMIZATION).read_text())["resources"]
    assert capsys.readouterr().out == f"dev: {len(resources)} objects -> {tree}, 1 GitOps engine object -> {tree / 'gitops'}\n"
    assert resources and not any("gitops" in name or "argoproj" in name for name in resources)
    assert sorted(p.name for p in tree.iterdir() if p.is_file() and p.name not in (KUSTOMIZATION, OWNER_MARKER)) == sorted(resources)
    application = yaml.safe_load((tree / "gitops" / "application.argoproj.io_argocd_modelfleet-dev.yaml").read_text())
    assert application["spec"]["source"]["path"] == "rendered/dev"
    assert list(application) == ["apiVersion", "kind", "metadata", "spec"]


def test_rerender_prunes_the_gitops_directory(tmp_path, project):
    project.copy_repo_stacks()
    out = tmp_path / "out"
    assert main(["render", "--project", str(project.root), "--out", str(out), "dev"]) == 0
    assert (out / "dev" / "gitops").is_dir()
    stack = project.root / "stacks" / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text() + "  modelfleet:gitops: null\n")
    assert main(["render", "--project", str(project.root), "--out", str(out), "dev"]) == 0
    assert not (out / "dev" / "gitops").exists() and (out / "dev" / OWNER_MARKER).is_file()
    assert sorted(p.name for p in out.iterdir()) == ["dev"]  # no staging leftovers


@pytest.mark.parametrize("engines", ["argocd: {}", "flux: {}", "argocd: {}\n    flux: {}"])
def test_kubectl_kustomize_builds_the_tree_without_the_engine_objects(tmp_path, project, engines):
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl not installed: cannot run the kustomize build")
    project.copy_repo_stacks()
    shared = project.root / "stacks" / "shared.yaml"
    text = shared.read_text()
    assert "    argocd: {}" in text
    shared.write_text(text.replace("    argocd: {}", "    " + engines, 1))
    out = tmp_path / "out"
    assert main(["render", "--project", str(project.root), "--out", str(out), "dev"]) == 0
    built = subprocess.run([kubectl, "kustomize", str(out / "dev")], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert "namespace: ml-dev" in built.stdout
    for kind in ("kind: Application", "kind: GitRepository", "apiVersion: kustomize.toolkit.fluxcd.io", "apiVersion: source.toolkit.fluxcd.io"):
        assert kind not in built.stdout
    expected = {"argocd": ["Application"], "flux": ["GitRepository", "Kustomization"]}
    kinds = sorted(yaml.safe_load(p.read_text())["kind"] for p in (out / "dev" / "gitops").iterdir())
    assert kinds == sorted(kind for engine, names in expected.items() if f"{engine}: {{}}" in engines for kind in names)
