"""The engine image lock, runtime-image/image.lock: which engine image the stacks deploy.

The lock records the base image runtime-image/Dockerfile is pinned to and, once the image workflow
has pushed a build, the pushed digest and the git revision it was built from ("build": null until
then). Standard library only, so that the workflow records a push with the runner's python3:

    python3 -m modelfleet.image_lock repository
    python3 -m modelfleet.image_lock record --digest sha256:... --revision <git sha>
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

LOCK_FILE = Path("runtime-image/image.lock")
DOCKERFILE = Path("runtime-image/Dockerfile")
# The Dockerfile's global ARG that defines the engine version.
VERSION_ARG = "VLLM_VERSION"

_NAME = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = rf"(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?{_NAME}(?:/{_NAME})*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"sha256:[0-9a-f]{64}"
# (pattern, what a value must be) per field of the lock.
_RULES = {
    "engine": (r"vllm", '"vllm"'),
    "engineVersion": (r"[0-9]+(?:\.[0-9]+)+(?:\.post[0-9]+)?", "a release version such as 0.28.0"),
    "repository": (_REPOSITORY, "an image repository such as ghcr.io/org/name"),
    "tag": (_TAG, "an image tag"),
    "digest": (_DIGEST, '"sha256:" followed by 64 lowercase hex digits'),
    "revision": (r"[0-9a-f]{40}", "a full git commit SHA (40 lowercase hex digits)"),
}
_REFERENCE = re.compile(rf"(?P<repository>{_REPOSITORY}):(?P<tag>{_TAG})@(?P<digest>{_DIGEST})")


class ImageLockError(ValueError):
    """A lock or Dockerfile that cannot be used; the message has one line per problem, each naming the file."""


@dataclass(frozen=True)
class BaseImage:
    repository: str
    tag: str
    digest: str

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}@{self.digest}"


@dataclass(frozen=True)
class Build:
    """A pushed image: its digest and the git revision it was built from."""

    digest: str
    revision: str


@dataclass(frozen=True)
class ImageLock:
    engine: str
    engine_version: str
    base: BaseImage
    repository: str
    build: Build | None

    @property
    def engine_image(self) -> str | None:
        """`repository@sha256:...` of the pushed image, or None while no push is recorded."""
        return f"{self.repository}@{self.build.digest}" if self.build else None

    @property
    def base_image(self) -> str:
        return self.base.reference


@dataclass(frozen=True)
class DockerfileBase:
    """What the Dockerfile pins: the engine version ARG and the base image of its first FROM."""

    version: str
    base: BaseImage


def _show(value: object) -> str:
    return "an object" if isinstance(value, dict) else "a list" if isinstance(value, list) else json.dumps(value)


class _Checker:
    """Walks the parsed JSON, collecting every problem as `where: what`."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def mapping(self, value: object, where: str, keys: tuple[str, ...]) -> dict:
        if not isinstance(value, dict):
            self.problems.append(f"{where or 'the lock'}: must be an object, got {_show(value)}")
            return {}
        prefix = f"{where}." if where else ""
        self.problems += [f"{prefix}{key}: unknown key (known: {', '.join(keys)})" for key in value if key not in keys]
        self.problems += [f"{prefix}{key}: missing" for key in keys if key not in value]
        return value

    def text(self, mapping: dict, key: str, where: str) -> str:
        if key not in mapping:
            return ""
        value = mapping[key]
        pattern, expected = _RULES[key]
        if not (isinstance(value, str) and re.fullmatch(pattern, value)):
            self.problems.append(f"{where}{key}: must be {expected}, got {_show(value)}")
        return value


def _parse(data: object, source: Path) -> ImageLock:
    check = _Checker()
    top = check.mapping(data, "", ("engine", "engineVersion", "base", "image"))
    base = check.mapping(top["base"], "base", ("repository", "tag", "digest")) if "base" in top else {}
    image = check.mapping(top["image"], "image", ("repository", "build")) if "image" in top else {}
    build = image.get("build")
    if build is not None:
        build = check.mapping(build, "image.build", ("digest", "revision"))
    lock = ImageLock(
        engine=check.text(top, "engine", ""),
        engine_version=check.text(top, "engineVersion", ""),
        base=BaseImage(*(check.text(base, key, "base.") for key in ("repository", "tag", "digest"))),
        repository=check.text(image, "repository", "image."),
        build=None if build is None else Build(*(check.text(build, key, "image.build.") for key in ("digest", "revision"))),
    )
    if check.problems:
        raise ImageLockError("\n".join(f"{source}: {problem}" for problem in check.problems))
    return lock


def _load(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ImageLockError(f"{path}: cannot read: {err.strerror}") from None
    except UnicodeDecodeError:
        raise ImageLockError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise ImageLockError(f"{path}:{err.lineno}:{err.colno}: not valid JSON: {err.msg}") from None


def read_image_lock(path: str | Path = LOCK_FILE) -> ImageLock:
    path = Path(path)
    return _parse(_load(path), path)


def record_build(path: str | Path, digest: str, revision: str) -> ImageLock:
    """Write a pushed image's digest and revision into the lock, keeping everything else; nothing is written if invalid."""
    path = Path(path)
    data = _load(path)
    _parse(data, path)
    data["image"]["build"] = {"digest": digest, "revision": revision}
    lock = _parse(data, path)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return lock


def read_dockerfile_base(path: str | Path = DOCKERFILE) -> DockerfileBase:
    """The version ARG and the base image of the first FROM, with the global ARG defaults substituted."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ImageLockError(f"{path}: cannot read: {err.strerror}") from None
    args: dict[str, str] = {}
    for line in text.replace("\\\n", " ").splitlines():
        words = line.split()
        if words[:1] == ["ARG"] and len(words) == 2 and "=" in words[1]:
            name, value = words[1].split("=", 1)
            args[name] = value.strip('"')
        elif words[:1] == ["FROM"]:
            image = next((word for word in words[1:] if not word.startswith("--")), "")
            break
    else:
        raise ImageLockError(f"{path}: no FROM instruction")
    if VERSION_ARG not in args:
        raise ImageLockError(f"{path}: no ARG {VERSION_ARG}=<version> before the first FROM")
    resolved = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m[1] or m[2], m[0]), image)
    match = _REFERENCE.fullmatch(resolved)
    if not match:
        raise ImageLockError(f"{path}: the first FROM ({resolved}) is not pinned as repository:tag@sha256:<digest>")
    return DockerfileBase(version=args[VERSION_ARG], base=BaseImage(**match.groupdict()))


def lock_mismatches(lock_path: str | Path = LOCK_FILE, dockerfile_path: str | Path = DOCKERFILE) -> list[str]:
    """Where the lock disagrees with the Dockerfile (engine version, base repository, tag, digest)."""
    lock, dockerfile = read_image_lock(lock_path), read_dockerfile_base(dockerfile_path)
    pairs = [("engineVersion", lock.engine_version, f"ARG {VERSION_ARG}", dockerfile.version)]
    pairs += [
        (f"base.{field}", getattr(lock.base, field), f"base image {field}", getattr(dockerfile.base, field))
        for field in ("repository", "tag", "digest")
    ]
    return [
        f"{lock_path}: {key} is {ours} but {dockerfile_path} has {what} {theirs}"
        for key, ours, what, theirs in pairs
        if ours != theirs
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m modelfleet.image_lock", description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=LOCK_FILE, help=f"the lock file (default: {LOCK_FILE})")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("repository", help="print the repository the engine image is pushed to")
    record = commands.add_parser("record", help="write a pushed image's digest and git revision into the lock")
    record.add_argument("--digest", required=True)
    record.add_argument("--revision", required=True)
    options = parser.parse_args(argv)
    try:
        if options.command == "repository":
            print(read_image_lock(options.lock).repository)
        else:
            print(record_build(options.lock, options.digest, options.revision).engine_image)
    except ImageLockError as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
