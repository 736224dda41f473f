"""The Service and container of a model on the deployment backend (seed 003's vllm-service on port 8000)."""

from __future__ import annotations

from pydantic import Field

from modelfleet.spec.base import Dns1035Label, SpecModel
from modelfleet.spec.pod import AbsolutePath


class DeploymentOptions(SpecModel):
    """Names and ports of the Deployment's container and Service (backend deployment only)."""

    service_name: Dns1035Label | None = Field(None, description="Name of the Service in front of the pods; default the model name.")
    service_port: int = Field(80, ge=1, le=65535, description="Port the Service listens on.")
    container_port: int = Field(8080, ge=1, le=65535, description="Port the engine listens on (--port), named http.")
    model_mount_path: AbsolutePath = Field("/mnt/models", description="Where the model PVC is mounted in the container (--model / --model-id point under it).")
