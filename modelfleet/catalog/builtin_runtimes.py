"""KServe's built-in ClusterServingRuntimes for the predictive formats of the KServe runtime table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BuiltinRuntimeInfo:
    runtime_name: str          # the ClusterServingRuntime KServe installs
    formats: tuple[str, ...]   # model formats it serves


BUILTIN_RUNTIMES: dict[str, BuiltinRuntimeInfo] = {
    "sklearn": BuiltinRuntimeInfo("kserve-sklearnserver", ("sklearn",)),
    "xgboost": BuiltinRuntimeInfo("kserve-xgbserver", ("xgboost",)),
    "lightgbm": BuiltinRuntimeInfo("kserve-lgbserver", ("lightgbm",)),
    "pmml": BuiltinRuntimeInfo("kserve-pmmlserver", ("pmml",)),
    "paddle": BuiltinRuntimeInfo("kserve-paddleserver", ("paddle",)),
    "tensorflow": BuiltinRuntimeInfo("kserve-tensorflow-serving", ("tensorflow",)),
    "pytorch": BuiltinRuntimeInfo("kserve-torchserve", ("pytorch",)),
    "triton": BuiltinRuntimeInfo("kserve-tritonserver", ("tensorrt", "tensorflow", "pytorch", "onnx", "triton")),
    "onnx": BuiltinRuntimeInfo("kserve-tritonserver", ("onnx",)),
    "huggingface": BuiltinRuntimeInfo("kserve-huggingfaceserver", ("huggingface",)),
    "mlserver": BuiltinRuntimeInfo("kserve-mlserver", ("sklearn", "xgboost", "lightgbm", "mlflow")),
}
