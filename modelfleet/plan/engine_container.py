"""The engine container the knative, deployment and ray backends run (KServe builds its own from the runtime)."""

from __future__ import annotations

from dataclasses import dataclass

from modelfleet.spec.env import EnvVar

MODEL_DIR = "/mnt/models"
"""Where every backend finds the model files (KServe's storage initializer writes there too)."""
SERVING_PORT = 8080


@dataclass(frozen=True)
class EngineContainer:
    """The engine container of the knative, deployment and ray backends (KServe builds its own from the runtime)."""

    engine: str                        # vllm | tgi
    image: str
    command: tuple[str, ...]
    args: tuple[str, ...]
    env: tuple[EnvVar, ...]
    model_claim: str | None            # PVC mounted read-only at model_dir
    port: int = SERVING_PORT
    model_dir: str = MODEL_DIR
