"""The imageBuild block: build the engine image inside the stack (`pulumi up`) instead of taking the CI push.

Off by default: the runtime-image workflow's push, recorded in runtime-image/image.lock, is the GitOps path.
With `modelfleet:imageBuild` set, every runtime whose `vllm.imageLock` is `<context>/image.lock` runs the image
`pulumi up` builds from `<context>` (pulumi-docker-build) and pushes to `repository`, under a tag computed from
the engine version and the content of the context, so `modelfleet render` names the exact tag offline.
Registry credentials are not stack settings: the build uses the machine's Docker credentials (`docker login`).
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated

from pydantic import AfterValidator, Field, WithJsonSchema

from modelfleet.spec.base import SpecModel, shown_value

_NAME = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
REPOSITORY_PATTERN = rf"^(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?{_NAME}(?:/{_NAME})*$"
"""An image repository without tag or digest: [registry[:port]/]path, the path in lowercase (the lock's rule)."""
_REPOSITORY = re.compile(REPOSITORY_PATTERN)
_EXAMPLE_REPOSITORY = "ghcr.io/acme/modelfleet-vllm"


def _repository(value: str) -> str:
    name = value.partition("@")[0]
    if "@" in value:
        problem = "has a digest"
    elif ":" in name.rsplit("/", 1)[-1]:
        problem = "has a tag"
    elif not _REPOSITORY.match(value) or len(value) > 255:
        raise ValueError(
            f"'{shown_value(value)}' is not an image repository; write [registry/]path in lowercase, e.g. {_EXAMPLE_REPOSITORY}"
        )
    else:
        return value
    raise ValueError(
        f"'{shown_value(value)}' {problem}; write the repository only (e.g. {_EXAMPLE_REPOSITORY}): the tag is computed "
        "from the engine version and the content of the build context"
    )


Repository = Annotated[
    str,
    AfterValidator(_repository),
    WithJsonSchema({"type": "string", "pattern": REPOSITORY_PATTERN}),
]


CONTEXT_PATTERN = r"^(\./)?(?!\.{1,2}(/|$))[^/\\\s]+(/(?!\.{1,2}(/|$))[^/\\\s]+)*$"
"""A directory below the project root: relative, no '.' or '..' parts, no trailing '/', no whitespace."""


def _context(value: str) -> str:
    if not re.match(CONTEXT_PATTERN, value):
        raise ValueError(
            f"'{shown_value(value)}' is not a directory below the project root; write it relative to the root, without "
            "'..', spaces or a trailing '/', e.g. runtime-image (the root itself holds venv/ and rendered/, not a "
            "build context)"
        )
    return value


ContextPath = Annotated[
    str,
    AfterValidator(_context),
    WithJsonSchema({"type": "string", "pattern": CONTEXT_PATTERN}),
]

PLATFORMS = (
    "darwin/386", "darwin/amd64", "darwin/arm", "darwin/arm64", "dragonfly/amd64",
    "freebsd/386", "freebsd/amd64", "freebsd/arm",
    "linux/386", "linux/amd64", "linux/arm", "linux/arm64", "linux/mips64", "linux/mips64le",
    "linux/ppc64le", "linux/riscv64", "linux/s390x",
    "netbsd/386", "netbsd/amd64", "netbsd/arm", "openbsd/386", "openbsd/amd64", "openbsd/arm",
    "plan9/386", "plan9/amd64", "solaris/amd64", "windows/386", "windows/amd64",
)  # fmt: skip
"""The platforms pulumi-docker-build's Image builds for: its Platform enum (tests/test_image_build.py keeps them equal)."""


def _platform(value: str) -> str:
    if value not in PLATFORMS:
        close = difflib.get_close_matches(value, PLATFORMS, n=1)
        hint = f"did you mean {close[0]}?" if close else "write os/arch, e.g. linux/amd64 or linux/arm64"
        raise ValueError(f"'{shown_value(value)}' is not a platform pulumi-docker-build builds for; {hint}")
    return value


Platform = Annotated[str, AfterValidator(_platform), WithJsonSchema({"enum": list(PLATFORMS)})]


def _unique(platforms: list[str]) -> list[str]:
    if not platforms:
        raise ValueError("no platform listed; list at least one, e.g. [linux/amd64], or remove platforms for that default")
    repeated = sorted({platform for platform in platforms if platforms.count(platform) > 1})
    if repeated:
        raise ValueError(f"{', '.join(repeated)} listed more than once; list each platform once")
    return platforms


class ImageBuild(SpecModel):
    """Build the engine image in the stack with `pulumi up` (pulumi-docker-build) instead of deploying the image the runtime-image workflow pushed; runtimes whose vllm.imageLock is <context>/image.lock run it."""

    repository: Repository = Field(
        description="Image repository `pulumi up` pushes to, without tag or digest, e.g. ghcr.io/acme/modelfleet-vllm. "
        "The tag is <engineVersion>-<12 hex digits of a sha256 over the context's files>, so a change to any file "
        "under the context gives a new tag; runtimes run <tag>@<digest> of the push. Credentials come from the "
        "machine's Docker login (docker login before pulumi up), never from the stack.",
    )
    context: ContextPath = Field(
        "runtime-image",
        description="Build context: a directory relative to the project root holding the Dockerfile and image.lock "
        "(whose engineVersion names the engine the flags are compiled for and must agree with the Dockerfile).",
    )
    platforms: Annotated[list[Platform], AfterValidator(_unique)] = Field(
        ["linux/amd64"],
        json_schema_extra={"minItems": 1},
        description="Platforms to build for (docker buildx --platform), e.g. [linux/amd64, linux/arm64].",
    )
    push: bool = Field(
        True,
        description="Push the image to repository (docker buildx --push). With false `pulumi up` only builds it, "
        "and no cluster can pull the tag the runtimes name.",
    )

    @property
    def directory(self) -> str:
        """The context as a project-relative path without a leading './' (as it appears in the plan)."""
        return self.context.removeprefix("./")

    @property
    def lock_file(self) -> str:
        """The image lock of the context: runtimes with this vllm.imageLock run the image built here."""
        return f"{self.directory}/image.lock"
