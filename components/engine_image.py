"""The engine image built from runtime-image/: read from its lock, and started through its entrypoint.

A runtime with `vllm.imageLock` runs the image the runtime-image workflow pushed, pinned by the digest it
recorded in the lock. That image's entrypoint takes the engine configuration as JSON (model path, port and
the vLLM version the flags were compiled for, which it checks against the installed engine) and the
compiled flags as arguments. Until a push is recorded the runtime runs the digest-pinned base image the
Dockerfile builds on, started the usual way, and the compiler says so.
"""

from __future__ import annotations

import json

from .image_lock import ImageLockError, read_image_lock
from .plan import SERVING_PORT
from .problems import Problems
from .spec.env import EnvVar
from .spec.runtime import Runtime, VllmEngine

ENTRYPOINT_COMMAND = ("python3", "/opt/modelfleet/modelfleet_entrypoint.py")
ENGINE_CONFIG_ENV = "MODELFLEET_ENGINE_CONFIG"


def resolve_engine_images(runtimes: list[Runtime], root, problems: Problems) -> tuple[list[Runtime], list[str]]:
    """Runtimes with image and version filled in from their image locks, and notices about them."""
    resolved, notices = [], []
    for index, runtime in enumerate(runtimes):
        engine = runtime.vllm
        if engine is None or engine.image_lock is None:
            resolved.append(runtime)
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
    return resolved, notices


def uses_entrypoint(engine: VllmEngine) -> bool:
    return tuple(engine.command) == ENTRYPOINT_COMMAND


def engine_launch(engine: VllmEngine, model: str, served: str) -> tuple[list[str], list[EnvVar]]:
    """(leading arguments, environment) that start the engine on SERVING_PORT serving `model` as `served`."""
    served_arg = f"--served-model-name={served}"
    if uses_entrypoint(engine):
        config = {"engine": "vllm", "engineVersion": engine.version, "model": model, "port": SERVING_PORT}
        return [served_arg], [EnvVar.model_validate({"name": ENGINE_CONFIG_ENV, "value": json.dumps(config, sort_keys=True)})]
    return [f"--port={SERVING_PORT}", f"--model={model}", served_arg], []
