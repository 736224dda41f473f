"""Custom Ray Serve applications of a RayService, beside the built-in Ray Serve LLM application (seed 003's
vllm_ray:deployment): written to serveConfigV2 as Ray Serve reads them."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, WithJsonSchema, model_validator

from modelfleet.spec.base import SpecModel

FreeForm = Annotated[dict[str, Any], WithJsonSchema({"type": "object"})]
Amount = Annotated[int, Field(ge=0)] | Annotated[float, Field(ge=0)]


class RayActorOptions(SpecModel):
    """Resources of each replica of a deployment (Ray actor options)."""

    num_gpus: Amount | None = Field(None, description="GPUs per replica (num_gpus); fractions share a GPU.")
    num_cpus: Amount | None = Field(None, description="CPUs per replica (num_cpus).")


class ServeDeployment(SpecModel):
    """Settings of one deployment of the application (overriding the @serve.deployment decorator's)."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$", description="Deployment name in the application's code, e.g. VLLMDeployment.")
    num_replicas: int | None = Field(None, ge=1, description="Replicas (num_replicas); Ray Serve's default 1.")
    max_ongoing_requests: int | None = Field(None, ge=1, description="Requests one replica handles at once.")
    ray_actor_options: RayActorOptions | None = Field(None, description="GPUs and CPUs per replica.")
    user_config: FreeForm | None = Field(None, description="Passed to the deployment's reconfigure() (e.g. model and parallelism).")


class ServeApplication(SpecModel):
    """One Ray Serve application of serveConfigV2."""

    name: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$", description="Application name.")
    import_path: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_.]*$", description="module:attribute of the application, e.g. vllm_ray:deployment.")
    route_prefix: str = Field("/", pattern=r"^/[^\s]*$", description="HTTP route of the application; unique in the RayService.")
    runtime_env: FreeForm | None = Field(None, description="Ray runtime_env: pip, working_dir, env_vars, ...")
    args: FreeForm | None = Field(None, description="Arguments of the application builder.")
    deployments: list[ServeDeployment] = Field(default_factory=list, description="Per-deployment settings.")

    @model_validator(mode="after")
    def _unique_deployments(self) -> "ServeApplication":
        names = [deployment.name for deployment in self.deployments]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"deployment {', '.join(repeated)} is listed twice; keep one entry per deployment")
        return self
