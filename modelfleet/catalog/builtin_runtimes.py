"""KServe's built-in ClusterServingRuntimes for the predictive formats of the KServe runtime table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BuiltinRuntimeInfo:
    runtime_name: str          # the ClusterServingRuntime KServe installs
    formats: tuple[str, ...]   # model formats it serves
    protocols: tuple[str, ...]  # its protocolVersions: the protocolVersion values a model on it may declare


BUILTIN_RUNTIMES: dict[str, BuiltinRuntimeInfo] = {
    "sklearn": BuiltinRuntimeInfo("kserve-sklearnserver", ("sklearn",), ("v1", "v2")),
    "xgboost": BuiltinRuntimeInfo("kserve-xgbserver", ("xgboost",), ("v1", "v2")),
    "lightgbm": BuiltinRuntimeInfo("kserve-lgbserver", ("lightgbm",), ("v1", "v2")),
    "pmml": BuiltinRuntimeInfo("kserve-pmmlserver", ("pmml",), ("v1", "v2")),
    "paddle": BuiltinRuntimeInfo("kserve-paddleserver", ("paddle",), ("v1", "v2")),
    "tensorflow": BuiltinRuntimeInfo("kserve-tensorflow-serving", ("tensorflow",), ("v1", "grpc-v1")),
    "pytorch": BuiltinRuntimeInfo("kserve-torchserve", ("pytorch",), ("v1", "v2", "grpc-v2")),
    "triton": BuiltinRuntimeInfo("kserve-tritonserver", ("tensorrt", "tensorflow", "pytorch", "onnx", "triton"), ("v2", "grpc-v2")),
    "onnx": BuiltinRuntimeInfo("kserve-tritonserver", ("onnx",), ("v2", "grpc-v2")),
    "huggingface": BuiltinRuntimeInfo("kserve-huggingfaceserver", ("huggingface",), ("v1", "v2")),
    "mlserver": BuiltinRuntimeInfo("kserve-mlserver", ("sklearn", "xgboost", "lightgbm", "mlflow"), ("v2",)),
}

VLLM_PROTOCOLS = ("v1",)
"""protocolVersions of a compiled vLLM ServingRuntime: KServe selects its OpenAI-compatible HTTP server as protocol v1
(the default of a model that declares none); the v2 and gRPC protocols are not served."""
