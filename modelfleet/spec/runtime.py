"""Serving runtimes: the vLLM runtime built from the engine image, or KServe's built-in runtimes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from modelfleet.spec.base import Dns1035Label, SpecModel, Version
from modelfleet.spec.env import EnvVar

BuiltinRuntime = Literal[
    "sklearn", "xgboost", "lightgbm", "pmml", "paddle", "tensorflow",
    "pytorch", "triton", "onnx", "huggingface", "mlserver",
]  # fmt: skip


class ModelFormat(SpecModel):
    """A model format a runtime serves (supportedModelFormats entry)."""

    name: str = Field(description="Format name, e.g. vLLM, sklearn, onnx.")
    version: str | None = Field(None, description="Format major version, e.g. '1'.")
    auto_select: bool = Field(True, description="Let KServe pick this runtime for models of this format.")
    priority: int | None = Field(None, ge=1, description="Priority among runtimes that auto-select the same format.")


class VllmEngine(SpecModel):
    """The vLLM OpenAI-compatible server container of a ServingRuntime."""

    image: str | None = Field(
        None,
        description="Engine image. Pin it by digest (repo@sha256:...) where it matters; a tag-only image "
        "can be re-pinned per model with runtimeVersion. Or use imageLock.",
        pattern=r"^[^\s]+$",
    )
    version: Version | None = Field(None, description="vLLM version inside the image, e.g. '0.6.3' (with image).")
    image_lock: str | None = Field(
        None,
        description="Instead of image and version: an image lock relative to the project (runtime-image/image.lock). "
        "The runtime runs the image built from this repository, pinned by the digest the image workflow recorded, "
        "started by its entrypoint; until a push is recorded, the digest-pinned base image it is built on.",
    )
    command: list[str] = Field(
        ["python", "-m", "vllm.entrypoints.openai.api_server"],
        min_length=1,
        description="Container command that starts the OpenAI-compatible server.",
    )
    env: list[EnvVar] = Field(default_factory=list, description="Extra container environment (HF_HOME is set).")
    multi_node: bool = Field(
        False,
        description="Compile a KServe multi-node runtime: a Ray head in the predictor pod and Ray workers in "
        "workerSpec; models on it set gpu.perPod and run in Standard mode from a pvc:// or oci:// source.",
    )
    @model_validator(mode="after")
    def _image_source(self) -> "VllmEngine":
        if (self.image is None) == (self.image_lock is None):
            raise ValueError("set exactly one of image (with version) or imageLock")
        if self.image is not None and self.version is None:
            raise ValueError("an image needs the vLLM version inside it; set version")
        if self.image_lock is not None and self.version is not None:
            raise ValueError("the image lock records the vLLM version; remove version")
        return self

    ray_version: Version | None = Field(
        None,
        description="Ray version inside the image, when it also carries Ray Serve LLM (e.g. rayproject/ray-llm); "
        "needed by models on the ray backend.",
    )


class TgiEngine(SpecModel):
    """Hugging Face text-generation-inference (its launcher), for the knative and deployment backends."""

    image: str = Field(description="TGI image, e.g. ghcr.io/huggingface/text-generation-inference:2.0.", pattern=r"^[^\s]+$")
    version: Version = Field(description="TGI version inside the image, e.g. '2.0.4'; decides the launcher flags.")
    env: list[EnvVar] = Field(default_factory=list, description="Extra container environment.")


class Runtime(SpecModel):
    """An engine models run on: vllm (compiled here), tgi, or builtin (KServe's own runtimes)."""

    name: Dns1035Label = Field(description="Runtime name, referenced by models[].runtime.")
    scope: Literal["Namespace", "Cluster"] = Field(
        "Namespace", description="Namespace: a ServingRuntime; Cluster: a ClusterServingRuntime, named "
        "<namespace>-<name> so that environments sharing a cluster never own the same object."
    )
    vllm: VllmEngine | None = Field(
        None, description="vLLM engine: a ServingRuntime for kserve models, the container of the other backends."
    )
    tgi: TgiEngine | None = Field(None, description="TGI engine (knative and deployment backends).")
    builtin: BuiltinRuntime | None = Field(
        None, description="Use the ClusterServingRuntime KServe installs for this predictive format."
    )
    version: Version | None = Field(
        None,
        description="Builtin runtimes: default runtimeVersion of their models (the image tag KServe runs, "
        "e.g. 'v0.15.0'). vLLM runtimes take it from the image tag.",
    )
    display_name: str | None = Field(None, description="Display name (openshift.io/display-name).")
    dashboard: bool = Field(False, description="Show it in the OpenShift AI dashboard (opendatahub.io/dashboard).")
    recommended_accelerators: list[str] = Field(
        default_factory=list, description="opendatahub.io/recommended-accelerators, e.g. [nvidia.com/gpu]."
    )
    model_formats: list[ModelFormat] | None = Field(
        None, description="supportedModelFormats of a vLLM runtime; default [{name: vLLM, autoSelect: true}]."
    )

    @model_validator(mode="after")
    def _one_kind(self) -> "Runtime":
        if sum(kind is not None for kind in (self.vllm, self.tgi, self.builtin)) != 1:
            raise ValueError("set exactly one of vllm, tgi (engines compiled here) or builtin (KServe's runtimes)")
        if self.builtin is not None and (self.model_formats is not None or self.scope != "Namespace"):
            raise ValueError("modelFormats and scope describe compiled runtimes; remove them from a builtin runtime")
        if self.vllm is not None and self.version is not None:
            raise ValueError("a vLLM runtime's version is its image tag; remove version (set vllm.image and vllm.version)")
        return self
