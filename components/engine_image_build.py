"""EngineImage: the engine image built in the stack by `pulumi up` (modelfleet:imageBuild), with pulumi-docker-build.

The plan names the image by its content-addressed tag (components/engine_image.py), which is what the builders
write and `modelfleet render` shows. This component builds the context with BuildKit, pushes the tag, and outputs
`ref`: `<tag>@sha256:<digest of the push>`. ModelServingStack registers every object with that ref in place of
the tag (components/k8s_objects.py), so the cluster runs exactly the pushed image.

Paths are relative to the project root: `pulumi up` runs the program and its resource plugins there, so the
state holds no machine path and does not change between machines. Registry credentials are the machine's:
the provider loads the host's Docker credentials (`docker login`, credential helpers) when it starts.
"""

from __future__ import annotations

import pulumi
import pulumi_docker_build as docker_build
from pydantic import BaseModel, ConfigDict

from modelfleet.plan import ImageBuildPlan


class EngineImageArgs(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    build: ImageBuildPlan


class EngineImage(pulumi.ComponentResource):
    """Builds (and pushes) the context's Dockerfile under the plan's tag; outputs `ref` (<tag>@<digest>) and `tag`."""

    def __init__(self, name: str, args: EngineImageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("modelfleet:image:EngineImage", name, None, opts)
        build = args.build
        self.tag = build.tag
        """The reference the builders wrote, which registered objects run as `ref`."""
        self.image = docker_build.Image(
            name,
            context=docker_build.BuildContextArgs(location=build.context),
            dockerfile=docker_build.DockerfileArgs(location=build.dockerfile),
            tags=[build.tag],
            platforms=[docker_build.Platform(platform) for platform in build.platforms],
            push=build.push,
            # A preview (a pull request's) plans the build without running it: the image is tens of GB.
            build_on_preview=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.ref: pulumi.Output[str] = self.image.ref
        self.register_outputs({"ref": self.ref, "tag": self.tag})
