"""The two sides of a diff, each as the rendered objects of every environment.

A side is one of:
- the working tree: compiled in this process by this checkout's compiler;
- a git revision: its files are exported with `git archive` into a temporary directory and compiled by
  that revision's own compiler (`python -m modelfleet.cli render`, or `python -m components.cli render` for
  revisions from before the modelfleet package), so a change to the stack format and the stack files that
  follows it compile on both sides. The user's working tree, index and worktree list are never touched;
- a directory of rendered trees (`rendered/`, holding one `<env>/` per environment) or one env tree.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import yaml

from modelfleet.compile import compile_environments, crd_directory, load_schemas
from modelfleet.check.manifest_files import NOT_OBJECTS, load_manifests
from modelfleet.schemas.vendor import write_crd_documents
from modelfleet.render.files import GITOPS_DIR, KUSTOMIZATION, object_file_name
from modelfleet.render.write import OWNER_MARKER
from modelfleet.load.project import PROJECT_FILE, Project, SpecError
from modelfleet.load.source_yaml import SourceProblem

_LOCATED = re.compile(r"^[^\s:]+:\d+:\d+: ")  # file:line:col: (a located problem, shown as revision:file:line:col)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DiffInputError(Exception):
    """A side cannot be compiled or read: the problems of the working tree (located in it), and lines about a
    revision or directory (`origin/main:stacks/Pulumi.dev.yaml:12:9: ...`); `lines` shows them all."""

    def __init__(self, problems: list[SourceProblem | str]):
        self.problems = problems
        self.lines = [str(problem) for problem in problems]
        super().__init__("\n".join(self.lines))


@dataclass(frozen=True)
class Snapshot:
    label: str                              # how the side is named in reports
    environments: dict[str, list[dict]]     # environment -> its objects
    notes: tuple[str, ...] = ()             # e.g. "no modelfleet project at this revision"


def objects_of_files(files: dict[str, str]) -> list[dict]:
    """The Kubernetes objects of a rendered tree given as file name -> text (kustomize's own files skipped)."""
    found = []
    for name in sorted(files):
        if name.endswith(KUSTOMIZATION) or not name.endswith((".yaml", ".yml")):
            continue
        for data in yaml.load_all(files[name], Loader=_Loader):
            if isinstance(data, dict) and not str(data.get("apiVersion", "")).startswith(NOT_OBJECTS):
                found.append(data)
    return found


def working_tree(project: Project, crds: Path | None) -> Snapshot:
    """The working tree compiled in this process: its objects as `render` would write them, in file order (plain
    data, so they equal what reading the rendered files back would give; no need to dump and parse them)."""
    compiled = compile_environments(project, project.environments(), load_schemas(crds))
    return Snapshot("working tree", {item.env: _in_file_order(item.objects, item.gitops_objects) for item in compiled})


def _in_file_order(objects: list[dict], gitops_objects: list[dict]) -> list[dict]:
    by_file = {object_file_name(obj): obj for obj in objects}
    by_file.update((f"{GITOPS_DIR}/{object_file_name(obj)}", obj) for obj in gitops_objects)
    return [by_file[name] for name in sorted(by_file)]


def _is_env_tree(directory: Path) -> bool:
    """A tree `modelfleet render` wrote, or any directory with manifests directly inside."""
    return (directory / OWNER_MARKER).is_file() or any(path.is_file() for path in [*directory.glob("*.yaml"), *directory.glob("*.yml")])


def rendered_directory(directory: Path, shown: str) -> Snapshot:
    """`rendered/` (one subdirectory per environment) or a single environment's tree (named after it)."""
    if _is_env_tree(directory):
        trees = {directory.resolve().name: directory}
    else:
        trees = {child.name: child for child in sorted(directory.iterdir()) if child.is_dir() and not child.name.startswith(".")}
    if not trees:
        raise DiffInputError([f"{shown}: no rendered environment here; expected rendered/<env>/ trees as `modelfleet render` writes them"])
    environments = {}
    for env, tree in trees.items():
        environments[env] = [item.data for item in load_manifests([tree])] if any(tree.rglob("*.y*ml")) else []
    return Snapshot(shown, environments)


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True)


def _text(output: bytes) -> str:
    return output.decode("utf-8", errors="replace").strip()


def git_revision(project: Project, revision: str, crds: Path | None) -> Snapshot:
    """Compile `revision` of the repository holding the project with that revision's own compiler."""
    top = _git(["rev-parse", "--show-toplevel"], project.root)
    if top.returncode != 0:
        raise DiffInputError([f"{revision}: not a directory, and {project.display(project.root) or '.'} is not in a git repository ({_text(top.stderr)})"])
    prefix = _text(_git(["rev-parse", "--show-prefix"], project.root).stdout)
    commit = _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], project.root)
    if commit.returncode != 0:
        raise DiffInputError([f"{revision}: neither a directory nor a commit of this repository; give a branch, tag or commit (fetch it first, e.g. git fetch origin main)"])
    sha = _text(commit.stdout)
    label = f"{revision} ({sha[:12]})" if not sha.startswith(revision) else sha[:12]
    if _git(["cat-file", "-e", f"{sha}:{prefix}{PROJECT_FILE}"], project.root).returncode != 0:
        return Snapshot(label, {}, (f"{label} has no {PROJECT_FILE} at {prefix or 'the repository root'}: every environment is new",))
    with tempfile.TemporaryDirectory(prefix="modelfleet-diff-") as temporary:
        source = Path(temporary) / "source"
        archive = _git(["archive", "--format=tar", sha, "--", prefix or "."], Path(_text(top.stdout)))
        if archive.returncode != 0:
            raise DiffInputError([f"{revision}: git archive failed: {_text(archive.stderr)}"])
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(source, filter="data")
        root = source / prefix
        if _same_compiler(root):
            return Snapshot(label, _compiled_here(root, revision, crds))
        out = Path(temporary) / "rendered"
        command = [sys.executable, "-m", *_render_command(root, crds, Path(temporary)), "--project", str(root), "--out", str(out)]
        environment = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
        result = _run_child(command, root, environment)
        if result.returncode != 0:
            lines = [line for line in _text(result.stderr).splitlines() if line and not line.startswith("warning: ")]
            shown = [f"{revision}:{line}" if _LOCATED.match(line) else f"{revision}: {line}" for line in lines]
            raise DiffInputError(shown or [f"{revision}: render failed (exit {result.returncode})"])
        return Snapshot(label, {tree.name: objects_of_tree(tree) for tree in sorted(out.iterdir()) if tree.is_dir()} if out.is_dir() else {})


def _same_compiler(root: Path) -> bool:
    """Whether the revision's modelfleet package is, byte for byte, the one running: then compiling it here gives
    what its own compiler would, without a second interpreter and a render written and read back."""
    running, exported = Path(__file__).resolve().parents[1], root / "modelfleet"

    def files(package: Path) -> dict[Path, Path]:
        return {path.relative_to(package): path for path in package.rglob("*") if path.is_file() and "__pycache__" not in path.parts}

    if not exported.is_dir():
        return False
    mine, theirs = files(running), files(exported)
    return mine.keys() == theirs.keys() and all(mine[name].read_bytes() == theirs[name].read_bytes() for name in mine)


def _compiled_here(root: Path, revision: str, crds: Path | None) -> dict[str, list[dict]]:
    project = Project.at(root)
    try:
        compiled = compile_environments(project, project.environments(), load_schemas(crds))
    except SpecError as error:
        raise DiffInputError([f"{revision}:{problem}" for problem in error.problems]) from None
    return {item.env: _in_file_order(item.objects, item.gitops_objects) for item in compiled}


def objects_of_tree(tree: Path) -> list[dict]:
    """The objects of a tree a compiler just rendered: read with the C loader, without the source positions that
    manifests given by the user are read with (its files are known to be well-formed)."""
    return objects_of_files({str(path.relative_to(tree)): path.read_text(encoding="utf-8") for path in tree.rglob("*") if path.is_file()})


def _render_command(root: Path, crds: Path | None, scratch: Path) -> list[str]:
    """The render command of the revision exported at `root`, with the CRD directory it needs.

    Revisions of the modelfleet package carry their own schemas and take --crds only as an override. Older
    revisions (the compiler was the `components` package) require a CRD directory: the user's, else one written
    from this checkout's vendored schemas."""
    directory = crd_directory(crds)
    if (root / "modelfleet" / "cli.py").is_file():
        return ["modelfleet.cli", "render", *(["--crds", str(directory.resolve())] if directory else [])]
    if directory is None:
        directory = scratch / "crds"
        write_crd_documents(directory)
    return ["components.cli", "render", "--crds", str(directory.resolve())]


def snapshot(project: Project, side: str | None, crds: Path | None) -> Snapshot:
    """None: the working tree; an existing directory: rendered trees; anything else: a git revision."""
    if side is None:
        return working_tree(project, crds)
    if Path(side).is_dir():
        return rendered_directory(Path(side), side)
    return git_revision(project, side, crds)


_children: set[subprocess.Popen] = set()
_children_lock = threading.Lock()
_stopping = threading.Event()


def _run_child(command: list[str], cwd: Path, environment: dict[str, str]) -> subprocess.CompletedProcess:
    """Run a revision's compiler, known to `_stop_children` while it runs (none starts once they are stopped)."""
    with _children_lock:
        if _stopping.is_set():
            raise DiffInputError(["interrupted"])
        process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _children.add(process)
    with process:
        try:
            stdout, stderr = process.communicate()
        finally:
            with _children_lock:
                _children.discard(process)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _stop_children() -> None:
    with _children_lock:
        _stopping.set()
        for process in _children:
            process.kill()


def snapshots(project: Project, base: str, head: str | None, crds: Path | None) -> tuple[Snapshot, Snapshot]:
    """Both sides, compiled side by side; the problems of both are reported together.

    On Ctrl-C the revisions' compilers are killed and the threads are waited for, so every temporary directory
    is removed before the interrupt goes on."""
    _stopping.clear()
    pool = ThreadPoolExecutor(max_workers=2)
    try:
        futures = [pool.submit(snapshot, project, side, crds) for side in (base, head)]
        wait(futures)
    except KeyboardInterrupt:
        _stop_children()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    sides, problems = [], []
    for future in futures:
        try:
            sides.append(future.result())
        except DiffInputError as error:
            problems += error.problems
        except SpecError as error:
            problems += error.problems
    if problems:
        raise DiffInputError(problems)
    return sides[0], sides[1]
