"""The engine image built from runtime-image/: read from its lock, and started through its entrypoint.

A runtime with `vllm.imageLock` runs the image the runtime-image workflow pushed, pinned by the digest it
recorded in the lock. That image's entrypoint takes the engine configuration as JSON (model path, port and
the vLLM version the flags were compiled for, which it checks against the installed engine) and the
compiled flags as arguments. Until a push is recorded the runtime runs the digest-pinned base image the
Dockerfile builds on, started the usual way, and the compiler says so.

With `modelfleet:imageBuild` the stack builds the image itself (`pulumi up`, components/engine_image_build.py):
runtimes locking `<context>/image.lock` run `<repository>:<engineVersion>-<context digest>`, a tag computed here
from the files of the context, so the offline render names exactly the tag `pulumi up` pushes. Pulumi then
deploys that tag pinned by the digest of the push.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
from pathlib import Path

from modelfleet.image_lock import LOCK_FILE, ImageLockError, lock_mismatches, read_image_lock
from modelfleet.plan import SERVING_PORT, ImageBuildPlan
from modelfleet.resolve.problems import Problems
from modelfleet.spec.base import version_tuple
from modelfleet.spec.env import EnvVar
from modelfleet.spec.image_build import ImageBuild
from modelfleet.spec.runtime import Runtime, VllmEngine

ENTRYPOINT_COMMAND = ("python3", "/opt/modelfleet/modelfleet_entrypoint.py")
ENGINE_CONFIG_ENV = "MODELFLEET_ENGINE_CONFIG"
CONTEXT_DIGEST_LENGTH = 12
IGNORED_DIRECTORIES = frozenset({".git", ".hg", ".svn", ".bzr", "_darcs", "CVS", "__pycache__"})
"""Left out of the context digest: version-control metadata and Python bytecode caches (with *.pyc / *.pyo)."""
_IGNORED_SUFFIXES = (".pyc", ".pyo")


def context_digest(directory: Path) -> str:
    """sha256 (hex) over every file below `directory`, in the order of their relative paths: each file's path and
    the sha256 of its content (a symlink: the path it points to). Independent of file times, owners and the
    machine. Left out: VCS metadata, Python bytecode caches, and the context's image.lock, which the CI workflow
rewrites after each push and no build step reads (else recording a CI push would change the stack's tag).
Raises OSError for an unreadable file."""
    entries: list[tuple[str, str, Path]] = []
    for current, directories, files in os.walk(directory):
        base = Path(current)
        directories[:] = [name for name in directories if name not in IGNORED_DIRECTORIES]
        for name in (*directories, *files):
            path = base / name
            relative = path.relative_to(directory).as_posix()
            if path.is_symlink():
                entries.append((relative, "link", path))
            elif name in files and not name.endswith(_IGNORED_SUFFIXES) and relative != LOCK_FILE.name:
                entries.append((relative, "file", path))
    digest = hashlib.sha256()
    for relative, kind, path in sorted(entries):
        content = hashlib.sha256(os.readlink(path).encode()) if kind == "link" else _file_sha256(path)
        digest.update(f"{kind} {relative}\0{content.hexdigest()}\n".encode())
    return digest.hexdigest()


def _file_sha256(path: Path):
    """The sha256 of a file's content, read in chunks."""
    content = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            content.update(chunk)
    return content


def _project_relative(text: str, root: Path) -> str:
    """Messages name files as the user writes them: relative to the project root."""
    return text.replace(f"{root}{os.sep}", "")


def resolve_image_build(spec: ImageBuild, root: Path, problems: Problems) -> ImageBuildPlan | None:
    """The image `pulumi up` builds from the context, tagged by engine version and content; None if unusable."""
    at = ("imageBuild", "context")
    context = spec.directory
    directory = root / context
    if not directory.is_dir():
        problems.add(at, f"{context} is not a directory of the project; set context to the directory holding the "
                         "engine image's Dockerfile and image.lock (runtime-image)")
        return None
    lock_path, dockerfile = directory / "image.lock", directory / "Dockerfile"
    try:
        lock = read_image_lock(lock_path)
        mismatches = lock_mismatches(lock_path, dockerfile)
    except (ImageLockError, OSError) as error:
        for line in str(error).splitlines():
            problems.add(at, f"{_project_relative(line, root)}; the build context needs a Dockerfile and an image.lock "
                             "that agree, as in runtime-image/")
        return None
    for mismatch in mismatches:
        problems.add(at, f"{_project_relative(mismatch, root)}; make the lock and the Dockerfile agree before "
                         "building (runtime-image/README.md, 'The base image')")
    if mismatches:
        return None
    try:
        content = context_digest(directory)
    except OSError as error:
        shown = _project_relative(str(error.filename or directory), root)
        problems.add(at, f"cannot read {shown}: {error.strerror}; every file of the build context must be readable")
        return None
    return ImageBuildPlan(
        context=context,
        dockerfile=f"{context}/Dockerfile",
        tag=f"{spec.repository}:{lock.engine_version}-{content[:CONTEXT_DIGEST_LENGTH]}",
        platforms=tuple(spec.platforms),
        push=spec.push,
        engine_version=lock.engine_version,
    )


def image_build_notice(build: ImageBuildPlan) -> str:
    """What `pulumi up` does with the image, which the rendered manifests (tag only) cannot show."""
    if not build.push:
        return (f"imageBuild: `pulumi up` builds {build.context} as {build.tag} without pushing it (push: false), "
                "so no cluster can pull the image the manifests name; set push: true to deploy it")
    return (f"imageBuild: `pulumi up` builds {build.context} ({', '.join(build.platforms)}), pushes {build.tag} and "
            f"deploys {build.tag}@<digest of the push>; the rendered manifests carry the tag only, not pinned by "
            "digest, so deploy this environment with `pulumi up`")


def _same_file(first: str, second: str) -> bool:
    return posixpath.normpath(first) == posixpath.normpath(second)


ENGINE_REPOSITORY_WORDS = {"vllm": "vllm", "tgi": "text-generation-inference"}
"""Images whose repository name carries one of these are the engine's own, tagged with its release."""


def declared_version_problems(runtimes: list[Runtime], problems: Problems) -> None:
    """A declared engine version that another release's image tag contradicts (`9.9.9` on `:v0.6.3`): the flags
    would be compiled for an engine that does not run."""
    for index, runtime in enumerate(runtimes):
        for kind, engine in (("vllm", runtime.vllm), ("tgi", runtime.tgi)):
            if engine is None or engine.image is None or engine.version is None:
                continue
            repository, _, tag = engine.image.split("@", 1)[0].rsplit("/", 1)[-1].partition(":")
            if ENGINE_REPOSITORY_WORDS[kind] not in repository or getattr(engine, "ray_version", None) is not None:
                continue  # another project's image (Ray's ray-llm tags carry the Ray release)
            released = version_tuple(tag)
            if released and version_tuple(engine.version)[: len(released)] != released:
                problems.add(("runtimes", index, kind, "version"), f"version {engine.version} contradicts the image tag {tag}; set version to the release the image holds, or point image at the release you mean")


def resolve_engine_images(
    runtimes: list[Runtime], root: Path, problems: Problems, image_build: ImageBuild | None = None
) -> tuple[list[Runtime], list[str], ImageBuildPlan | None]:
    """Runtimes with image and version filled in from their image locks (or from the image the stack builds),
    notices about them, and the image build."""
    resolved, notices = [], []
    build = resolve_image_build(image_build, root, problems) if image_build is not None else None
    if build is not None:
        notices.append(image_build_notice(build))
        if not any(r.vllm is not None and r.vllm.image_lock is not None and _same_file(r.vllm.image_lock, image_build.lock_file)
                   for r in runtimes):
            notices.append(f"imageBuild: no runtime sets vllm.imageLock: {image_build.lock_file}, so nothing runs the "
                           f"image `pulumi up` builds from {build.context}")
    for index, runtime in enumerate(runtimes):
        engine = runtime.vllm
        if engine is None or engine.image_lock is None:
            resolved.append(runtime)
            continue
        if image_build is not None:
            if not _same_file(engine.image_lock, image_build.lock_file):
                problems.add(("runtimes", index, "vllm", "imageLock"),
                             f"imageBuild builds {image_build.directory} in the stack, but this runtime locks "
                             f"{engine.image_lock}, so it would not run the built image; point imageLock at "
                             f"{image_build.lock_file}, or set imageBuild.context to the directory of {engine.image_lock}")
            elif build is not None:  # an unusable build context is reported once, at imageBuild.context
                update = {"version": build.engine_version, "image": build.tag, "command": list(ENTRYPOINT_COMMAND)}
                resolved.append(runtime.model_copy(update={"vllm": engine.model_copy(update=update)}))
            continue
        path = root / engine.image_lock
        try:
            lock = read_image_lock(path)
        except (ImageLockError, OSError) as error:
            shown = str(error).replace(str(path), engine.image_lock)  # project-relative, as the user wrote it
            problems.add(("runtimes", index, "vllm", "imageLock"), f"{shown}; point imageLock at the lock the runtime-image workflow writes")
            continue
        if lock.engine != "vllm":
            problems.add(("runtimes", index, "vllm", "imageLock"), f"{engine.image_lock} locks a {lock.engine} image, not vLLM; use a vLLM image lock")
            continue
        update = {"version": lock.engine_version}
        if lock.engine_image is not None:
            update.update(image=lock.engine_image, command=list(ENTRYPOINT_COMMAND))
        else:
            update["image"] = lock.base_image
            notices.append(f"runtime {runtime.name}: {engine.image_lock} records no pushed image yet, so it runs the base image {lock.base_image}; the runtime-image workflow records the built image's digest on its first push")
        resolved.append(runtime.model_copy(update={"vllm": engine.model_copy(update=update)}))
    return resolved, notices, build


def uses_entrypoint(engine: VllmEngine) -> bool:
    return tuple(engine.command) == ENTRYPOINT_COMMAND


def engine_launch(engine: VllmEngine, model: str, served: str, port: int = SERVING_PORT) -> tuple[list[str], list[EnvVar]]:
    """(leading arguments, environment) that start the engine on `port` serving `model` as `served`."""
    served_arg = f"--served-model-name={served}"
    if uses_entrypoint(engine):
        config = {"engine": "vllm", "engineVersion": engine.version, "model": model, "port": port}
        return [served_arg], [EnvVar.model_validate({"name": ENGINE_CONFIG_ENV, "value": json.dumps(config, sort_keys=True)})]
    return [f"--port={port}", f"--model={model}", served_arg], []
