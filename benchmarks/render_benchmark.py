"""Benchmark of `modelfleet render` against the floor of PyYAML's C dumper writing the same objects.

Generates a synthetic project (N models x 3 environments: dev, staging, prod) in a temporary directory,
then times, interleaved in one process, best of R repetitions each:

* render: `modelfleet render` for every environment, exactly as the command runs it (modelfleet.cli.main):
  CRD schema loading, stack loading + spec validation, plan, build, strict CRD validation, YAML dump, write;
* floor:  yaml.dump(obj, Dumper=yaml.CSafeDumper, sort_keys=False) of every object the render builds
  (compiled once, outside the timing), each written to its own file in a fresh directory, plus the same
  two extra files per environment (kustomization.yaml, owner marker), so both write the same file count;
* breakdown: the same pipeline called phase by phase (the functions modelfleet.cli / modelfleet.compile
  call), so the hot spot is visible.

"Cold" runs first empty the project's per-process caches (parsed CRD files, bundled core schemas, memoised
metadata checks), because every `modelfleet render` command is a new process that starts without them.
Also reported, for diagnosis: a warm render (caches kept), a what-if render with the cyclic garbage
collector disabled, and the time every run spent in the garbage collector (gc.callbacks).

Usage (from the repository root):
    venv/bin/python benchmarks/render_benchmark.py [--models 1000] [--repeat 3] [--crds DIR] [--profile 25]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import os
import pickle
import pstats
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import yaml  # noqa: E402

ENVIRONMENTS = ("dev", "staging", "prod")
TARGET_RATIO = 3.0
TARGET_MODELS = 1000
DEFAULT_CRDS = REPO_ROOT.parent / "shared" / "crds"

# --------------------------------------------------------------------------------------------------
# Synthetic project


VLLM_FAMILIES = (
    # family, display name, storage, gpu pool, GPUs per replica, memory request, memory limit, quantization
    ("llama", "Llama 3.1 8B Instruct", "model-bucket", "a100", 1, "32Gi", "48Gi", None),
    ("granite", "Granite 3 8B Instruct", "my-storage", "a100", 1, "24Gi", "40Gi", None),
    ("qwen", "Qwen 2.5 14B Chat Int8", "llm-model", "v100", 2, "32Gi", "64Gi", "gptq"),
    ("mistral", "Mistral 7B Instruct", "model-bucket", "h100", 1, "24Gi", "32Gi", None),
    ("mixtral", "Mixtral 8x7B Instruct AWQ", "model-bucket", "a100", 4, "96Gi", "160Gi", "awq"),
)
SKLEARN_FAMILIES = (
    ("iris", "gs://kfserving-examples/models/sklearn/1.0/model"),
    ("churn", "s3://tabular-models/churn/v3"),
    ("fraud", "gs://tabular-models/fraud-detector/2024-06"),
)


def _uri_key() -> str:
    """The model field holding a full storage URI ('storageUri'; 'uri' in earlier versions of the spec)."""
    from modelfleet.spec.model import Model

    aliases = {field.alias for field in Model.model_fields.values()}
    return "storageUri" if "storageUri" in aliases else "uri"


def _is_sklearn(index: int) -> bool:
    return index % 5 == 4  # 20 % of the models


def model_name(index: int) -> str:
    """DNS-1035, and '<name>-predictor-ml-staging' stays far below 63 characters (at most 16 + 21)."""
    family = SKLEARN_FAMILIES[index % len(SKLEARN_FAMILIES)][0] if _is_sklearn(index) else VLLM_FAMILIES[index % len(VLLM_FAMILIES)][0]
    return f"{family}-{index:05d}"


def _shared_model(index: int) -> str:
    name = model_name(index)
    if _is_sklearn(index):
        _, uri = SKLEARN_FAMILIES[index % len(SKLEARN_FAMILIES)]
        return f"""\
    - name: {name}
      format: sklearn
      runtime: sklearn
      {_uri_key()}: {uri}
      resources:
        requests: {{cpu: 100m, memory: 256Mi}}
        limits: {{cpu: 1, memory: 1Gi}}
      labels:
        modelfleet.io/family: {name.split('-')[0]}
"""
    family, display, storage, pool, gpus, mem_request, mem_limit, quantization = VLLM_FAMILIES[index % len(VLLM_FAMILIES)]
    engine = [f"maxModelLen: {8192 if index % 3 else 16384}", "gpuMemoryUtilization: 0.9", "enablePrefixCaching: true", "dtype: auto"]
    if gpus > 1:
        engine.insert(0, f"tensorParallelSize: {gpus}")
    if quantization:
        engine.append(f"quantization: {quantization}")
    if index % 7 == 0:
        engine.append(f"servedModelName: {family}-chat")
        engine.append("trustRemoteCode: true")
    if index % 11 == 0:
        engine.append('extraArgs: ["--disable-log-requests", "--max-log-len=256"]')
    engine_text = "".join(f"        {line}\n" for line in engine)
    extra = ""
    if index % 9 == 0:
        extra += "      env:\n        - {name: VLLM_LOGGING_LEVEL, value: INFO}\n        - name: HF_TOKEN\n          secretKeyRef: {name: hf-token, key: token}\n"
    shm_text = f"      sharedMemory: {4 * gpus}Gi\n" if gpus > 1 else ""
    return f"""\
    - name: {name}
      displayName: {display} ({index:05d})
      format: vLLM
      runtime: vllm-runtime
      storage:
        name: {storage}
        path: {family}/{name}/
      gpu:
        pool: {pool}
        count: {gpus}
{shm_text}      resources:
        requests: {{cpu: {2 * gpus}, memory: {mem_request}}}
        limits: {{cpu: {8 * gpus}, memory: {mem_limit}}}
      engine:
{engine_text}      labels:
        opendatahub.io/dashboard: "true"
        modelfleet.io/family: {family}
{extra}"""


SHARED_HEAD = """\
# Synthetic shared definitions for the render benchmark (generated by benchmarks/render_benchmark.py).
config:
  modelfleet:environment:
    labels:
      team: ml-platform
      cost-center: "4711"
    platform:
      kserve: "0.20"
      knative: "1.23"
      kuberay: "1.7"

  modelfleet:gpuPools:
    - name: a100
      resourceName: nvidia.com/gpu
      gpuModel: NVIDIA-A100-SXM4-80GB
      memoryPerGpu: 80Gi
      gpusPerNode: 8
    - name: v100
      resourceName: nvidia.com/gpu
      gpuModel: Tesla-V100-SXM2-16GB
      memoryPerGpu: 16Gi
      gpusPerNode: 4
    - name: h100
      resourceName: nvidia.com/gpu
      gpuModel: NVIDIA-H100-80GB-HBM3
      memoryPerGpu: 80Gi
      gpusPerNode: 8
      nodeSelector:
        node.kubernetes.io/instance-type: p5.48xlarge
      tolerations:
        - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
        - {key: dedicated, operator: Equal, value: inference, effect: NoSchedule}

  modelfleet:storage:
    - name: my-storage
      s3:
        endpoint: s3.us-east-1.amazonaws.com
        region: us-east-1
        bucket: ml-models
        secretName: aws-connection-my-storage
        dataConnection: true
    - name: model-bucket
      s3:
        endpoint: s3.us-east-1.amazonaws.com
        region: us-east-1
        bucket: models
        secretName: s3-credentials
    - name: llm-model
      newPvc:
        claimName: llm-model
        size: 2Ti
        accessModes: [ReadOnlyMany]
        volume:
          driver: ossplugin.csi.alibabacloud.com
          volumeHandle: llm-model
          nodePublishSecretName: oss-secret
          attributes:
            bucket: qwen-models
            url: oss-cn-shanghai-internal.aliyuncs.com
            path: /
            otherOpts: "-o max_stat_cache_size=0 -o allow_other"

  modelfleet:runtimes:
    - name: vllm-runtime
      displayName: vLLM ServingRuntime for KServe
      dashboard: true
      recommendedAccelerators: [nvidia.com/gpu]
      vllm:
        image: vllm/vllm-openai:v0.6.3
        version: "0.6.3"
    - name: sklearn
      builtin: sklearn
      version: v0.20.0

  modelfleet:models:
"""

STACK_HEADS = {
    "dev": """\
# dev: Knative mode, everything scales to zero, part of the LLMs on the smaller V100 pool.
config:
  modelfleet:environment:
    namespace: ml-dev
    createNamespace: true
    deploymentMode: Serverless
  modelfleet:models:
""",
    "staging": """\
# staging: production's shape at a smaller scale.
config:
  modelfleet:environment:
    namespace: ml-staging
    deploymentMode: Knative
    labels:
      stage: staging
  modelfleet:models:
""",
    "prod": """\
# prod: Standard (raw Deployment) mode, versions pinned, more replicas.
config:
  modelfleet:environment:
    namespace: ml-prod
    deploymentMode: Standard
    annotations:
      modelfleet.io/owner: ml-platform@example.com
  modelfleet:models:
""",
}


def _stack_model(env: str, index: int) -> str:
    name = model_name(index)
    lines = [f"    - name: {name}"]
    if _is_sklearn(index):
        if env == "dev":
            lines.append("      scaling: {minReplicas: 0, maxReplicas: 2}")
        elif env == "staging":
            lines.append("      scaling: {minReplicas: 1, maxReplicas: 2, metric: rps, target: 50}")
        else:
            lines.append("      runtimeVersion: v0.20.0")
            lines.append("      resources: {limits: {cpu: 2, memory: 2Gi}}")
            lines.append("      scaling: {minReplicas: 2, maxReplicas: 4, metric: cpu, target: 70}")
        return "\n".join(lines) + "\n"
    gpus = VLLM_FAMILIES[index % len(VLLM_FAMILIES)][4]
    if env == "dev":
        if index % 3 == 0 and gpus <= 4:
            lines.append("      gpu: {pool: v100}")
        lines.append("      engine: {maxModelLen: 4096}")
        lines.append("      scaling: {minReplicas: 0, maxReplicas: 1, metric: concurrency, target: 4}")
    elif env == "staging":
        lines.append("      engine: {maxNumSeqs: 128}")
        lines.append("      scaling: {minReplicas: 1, maxReplicas: 2, metric: concurrency, target: 8}")
    else:
        lines.append("      runtimeVersion: v0.6.3")
        lines.append("      engine: {gpuMemoryUtilization: 0.92, enableChunkedPrefill: true, maxNumSeqs: 256}")
        lines.append(f"      scaling: {{minReplicas: 2, maxReplicas: {4 + index % 5}, metric: cpu, target: 80}}")
        if index % 4 == 0:
            lines.append("      annotations: {modelfleet.io/tier: critical}")
    return "\n".join(lines) + "\n"


def generate_project(root: Path, models: int) -> None:
    """A valid modelfleet project with `models` models in three environments."""
    stacks = root / "stacks"
    stacks.mkdir(parents=True)
    shutil.copyfile(REPO_ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    (stacks / "shared.yaml").write_text(SHARED_HEAD + "".join(_shared_model(i) for i in range(models)), encoding="utf-8")
    for env in ENVIRONMENTS:
        text = STACK_HEADS[env] + "".join(_stack_model(env, i) for i in range(models))
        (stacks / f"Pulumi.{env}.yaml").write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# Timed runs


# Process-wide caches of the project (CRD files parsed once per process, the bundled core schemas, memoised
# metadata checks): a `modelfleet render` command starts with them empty, so they are emptied before every
# "cold" run. Module-level functools caches are found generically; plain dict caches are listed by name.
_DICT_CACHES = ("_FULL_DOCS",)


def reset_process_caches() -> list[str]:
    """Empty the project's per-process caches; returns what was reset."""
    reset = []
    for module_name, module in sorted(sys.modules.items()):
        if module is None or not (module_name == "modelfleet" or module_name.startswith("modelfleet.")):
            continue
        for attribute, value in sorted(vars(module).items()):
            if getattr(value, "__module__", None) != module_name:
                continue  # imported from elsewhere; reset where it is defined
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()
                reset.append(f"{module_name}.{attribute}()")
        for attribute in _DICT_CACHES:
            value = vars(module).get(attribute)
            if isinstance(value, dict):
                value.clear()
                reset.append(f"{module_name}.{attribute}")
    return reset


def _settle() -> None:
    """Before a timed run: collect garbage, and flush the files earlier runs wrote and deleted, so their
    writeback does not land in this run (file-system noise is otherwise the largest noise source)."""
    gc.collect()
    if hasattr(os, "sync"):
        os.sync()


def _fresh_dir(base: Path, label: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"{label}-", dir=base))


class GcClock:
    """Time spent in the cyclic garbage collector (gc.callbacks) while active."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = 0
        self.full = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.collections += 1
            self.full += info["generation"] == 2

    def __enter__(self) -> "GcClock":
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


class Timing:
    def __init__(self, seconds: float, gc_clock: GcClock) -> None:
        self.seconds = seconds
        self.gc_seconds = gc_clock.seconds
        self.gc_full = gc_clock.full


def run_render(project_dir: Path, out: Path, crds: Path, cold: bool = True, gc_enabled: bool = True) -> Timing:
    """`modelfleet render --project P --out O --crds C`, in process. cold: per-process caches emptied first."""
    from modelfleet import cli

    stdout, stderr = io.StringIO(), io.StringIO()
    if cold:
        reset_process_caches()
    _settle()
    if not gc_enabled:
        gc.disable()
    try:
        with GcClock() as gc_clock, contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            start = time.perf_counter()
            status = cli.main(["render", "--project", str(project_dir), "--out", str(out), "--crds", str(crds)])
            elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    if status != 0:
        sys.stderr.write(stderr.getvalue()[-5000:])
        raise SystemExit(f"modelfleet render failed with status {status}")
    return Timing(elapsed, gc_clock)


def run_floor(out: Path, pickled_trees: bytes) -> Timing:
    """yaml.dump with the C dumper, one file per object (the same files the render writes)."""
    trees: dict[str, list[tuple[str, object]]] = pickle.loads(pickled_trees)
    dump, dumper = yaml.dump, yaml.CSafeDumper
    _settle()
    with GcClock() as gc_clock:
        start = time.perf_counter()
        for env, items in trees.items():
            directory = out / env
            directory.mkdir(parents=True)
            for file_name, obj in items:
                with open(directory / file_name, "w", encoding="utf-8") as handle:
                    handle.write(dump(obj, Dumper=dumper, sort_keys=False))
        elapsed = time.perf_counter() - start
    return Timing(elapsed, gc_clock)


PHASES = (
    ("load CRD schemas", "load_schemas (indexes the CRD files; schemas are parsed lazily, see CRD validation)"),
    ("load + spec", "load_stack: shared.yaml + stack file with positions, merge, pydantic"),
    ("plan", "resolve"),
    ("build", "build_environment"),
    ("CRD validation", "schema_problems: 1st use parses the CRD file + compiles checkers; then checks"),
    ("YAML dump", "render_files (dump_object of every object, kustomization)"),
    ("write files", "write_tree (files, atomic replace)"),
)


def run_breakdown(project_dir: Path, out: Path, crds: Path) -> dict[str, tuple[float, float]]:
    """The render pipeline called phase by phase (the functions cli.cmd_render calls, cold caches).

    Returns phase -> (seconds, of which cyclic GC seconds), summed over the environments."""
    from modelfleet.build.environment import build_environment
    from modelfleet.compile import load_schemas, schema_problems
    from modelfleet.resolve.environment import resolve
    from modelfleet.render.files import render_files
    from modelfleet.render.write import write_output
    from modelfleet.load.project import Project
    from modelfleet.spec.stack_loader import load_stack

    times: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    reset_process_caches()
    _settle()
    with GcClock() as gc_clock:
        clock = time.perf_counter
        marks = [clock(), gc_clock.seconds]

        def lap(phase: str) -> None:
            now, in_gc = clock(), gc_clock.seconds
            times[phase][0] += now - marks[0]
            times[phase][1] += in_gc - marks[1]
            marks[:] = [clock(), gc_clock.seconds]

        project = Project.at(project_dir)
        schemas = load_schemas(crds)
        lap("load CRD schemas")
        for env in project.environments():
            loaded = load_stack(project, env)
            lap("load + spec")
            plan = resolve(loaded)
            lap("plan")
            objects = build_environment(plan)
            lap("build")
            problems = schema_problems(project, env, objects, schemas)
            lap("CRD validation")
            if problems:
                raise SystemExit(f"{env}: {len(problems)} schema problem(s), first: {problems[0]}")
            files = render_files(env, objects)
            lap("YAML dump")
            write_output(out, {env: files})
            lap("write files")
    return {phase: (seconds, in_gc) for phase, (seconds, in_gc) in times.items()}


def compile_objects(project_dir: Path, crds: Path) -> tuple[bytes, int, int]:
    """The objects of every environment as the render builds them (validated), each with its file name.

    Returned pickled, so that they are not live Python objects while the render is timed: a `modelfleet
    render` process does not hold them, and every live object makes its garbage collections slower."""
    from modelfleet.compile import compile_environments, load_schemas
    from modelfleet.render.files import KUSTOMIZATION, object_file_name
    from modelfleet.render.write import OWNER_MARKER
    from modelfleet.load.project import Project, SpecError

    project = Project.at(project_dir)
    try:
        compiled = compile_environments(project, project.environments(), load_schemas(crds))
    except SpecError as error:
        shown = "\n".join(str(problem) for problem in error.problems[:20])
        raise SystemExit(f"the synthetic project is invalid ({len(error.problems)} problem(s)), first ones:\n{shown}") from None
    trees = {}
    for item in compiled:
        items = [(object_file_name(obj), obj) for obj in item.objects]
        kustomization = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": sorted(name for name, _ in items)}
        items.append((KUSTOMIZATION, kustomization))
        items.append((OWNER_MARKER, f"modelfleet render output for environment {item.env}"))
        trees[item.env] = items
    objects = sum(len(items) - 2 for items in trees.values())
    files = sum(len(items) for items in trees.values())
    return pickle.dumps(trees, protocol=pickle.HIGHEST_PROTOCOL), objects, files


def profile_render(project_dir: Path, out: Path, crds: Path, top: int) -> None:
    """cProfile of one render: top functions by cumulative time, and self time summed per module."""
    from modelfleet import cli

    profiler = cProfile.Profile()
    with contextlib.redirect_stdout(io.StringIO()):
        profiler.runcall(cli.main, ["render", "--project", str(project_dir), "--out", str(out), "--crds", str(crds)])
    stats = pstats.Stats(profiler, stream=sys.stdout)
    print(f"\n== cProfile of one render (cProfile overhead inflates pure-Python code): top {top} by cumulative time")
    stats.sort_stats("cumulative").print_stats(top)
    per_module: dict[str, float] = defaultdict(float)
    for (file_name, _line, function), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        per_module[f"C: {function}" if file_name == "~" else _module_label(file_name)] += tottime
    total = sum(per_module.values())
    print(f"== self time per module, C functions listed one by one (total {total:.2f} s under the profiler;")
    print("   cyclic-GC pauses are charged to whatever function was allocating when they struck)")
    for label, seconds in sorted(per_module.items(), key=lambda item: -item[1])[:top]:
        print(f"{seconds:9.3f} s  {100 * seconds / total:5.1f} %  {label}")


def _module_label(file_name: str) -> str:
    if file_name.startswith("<"):
        return file_name  # generated code
    path = Path(file_name)
    parts = path.parts
    for anchor in ("site-packages", "modelfleet"):
        if anchor in parts:
            at = parts.index(anchor)
            rest = parts[at + 1 :] if anchor == "site-packages" else parts[at:]
            return "/".join(rest)
    if "lib" in parts:
        return "stdlib/" + "/".join(parts[parts.index("lib") + 2 :])
    return path.name


# --------------------------------------------------------------------------------------------------
# Main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=TARGET_MODELS, help="models per environment (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions; the best of each is reported (default %(default)s)")
    parser.add_argument("--crds", type=Path, default=DEFAULT_CRDS, help="upstream CRD directory (default ../shared/crds beside the repository)")
    parser.add_argument("--profile", type=int, metavar="N", default=0, help="also cProfile one render and print the top N functions and modules")
    parser.add_argument("--keep", action="store_true", help="keep the temporary project and outputs (path printed)")
    args = parser.parse_args(argv)
    if args.models < 1 or args.repeat < 1:
        parser.error("--models and --repeat must be at least 1")
    if not getattr(yaml, "__with_libyaml__", False):
        raise SystemExit("PyYAML without libyaml: the floor (CSafeDumper) cannot be measured")
    if not args.crds.is_dir():
        raise SystemExit(f"CRD directory {args.crds} not found; pass --crds DIR")

    work = Path(tempfile.mkdtemp(prefix="modelfleet-render-bench-"))
    try:
        project_dir = work / "project"
        generate_project(project_dir, args.models)
        runs = work / "runs"
        runs.mkdir()

        # Compiled once, outside the timing; this also warms the imports and checks that the input is valid.
        pickled_trees, objects, files = compile_objects(project_dir, args.crds)

        results: dict[str, list[Timing]] = defaultdict(list)
        phase_runs: list[dict[str, tuple[float, float]]] = []
        for repetition in range(args.repeat):
            out = _fresh_dir(runs, f"render{repetition}")
            results["render"].append(run_render(project_dir, out, args.crds, cold=True))
            written = sum(len(os.listdir(out / env)) for env in ENVIRONMENTS)
            if written != files:
                raise SystemExit(f"render wrote {written} files, expected {files}")
            shutil.rmtree(out)

            out = _fresh_dir(runs, f"floor{repetition}")
            results["floor"].append(run_floor(out, pickled_trees))
            shutil.rmtree(out)
            gc.collect()

            out = _fresh_dir(runs, f"warm{repetition}")
            results["warm"].append(run_render(project_dir, out, args.crds, cold=False))
            shutil.rmtree(out)

            out = _fresh_dir(runs, f"nogc{repetition}")
            results["nogc"].append(run_render(project_dir, out, args.crds, cold=True, gc_enabled=False))
            shutil.rmtree(out)

            out = _fresh_dir(runs, f"phases{repetition}")
            phase_runs.append(run_breakdown(project_dir, out, args.crds))
            shutil.rmtree(out)

        best = {name: min(timings, key=lambda timing: timing.seconds) for name, timings in results.items()}
        render, floor = best["render"].seconds, best["floor"].seconds
        ratio = render / floor
        print(f"modelfleet render benchmark: {args.models} models x {len(ENVIRONMENTS)} environments, best of {args.repeat}")
        print(f"python {sys.version.split()[0]}, PyYAML {yaml.__version__} (libyaml), CRDs: {os.path.relpath(args.crds, REPO_ROOT)} (relative to the repository)")
        print(f"per-process caches emptied before every cold run: {', '.join(reset_process_caches()) or 'none found'}")
        print()
        print(f"{'N':>6} {'objects':>8} {'files':>7} {'render s':>9} {'floor s':>8} {'render/floor':>13}")
        print(f"{args.models:>6} {objects:>8} {files:>7} {render:>9.3f} {floor:>8.3f} {ratio:>12.2f}x")
        print()
        print("all runs (s):")
        labels = {
            "render": "render (cold: per-process caches emptied, as in a new `modelfleet render` process)",
            "floor": "floor (yaml.dump CSafeDumper + write, one file per object)",
            "warm": "render, warm (process caches kept from an earlier render: CRDs already parsed)",
            "nogc": "render, cold, cyclic GC disabled (what-if; not what the command does today)",
        }
        for name, label in labels.items():
            timings = results[name]
            chosen = best[name]
            runs_text = ", ".join(f"{timing.seconds:.3f}" for timing in timings)
            print(f"  {name:<7} {runs_text:<24} best {chosen.seconds:.3f} = {chosen.seconds / floor:5.2f}x floor; "
                  f"in GC {chosen.gc_seconds:.3f} s ({chosen.gc_full} full collections)  {label}")
        print()
        phase_best = {phase: min((run[phase] for run in phase_runs), key=lambda pair: pair[0]) for phase, _ in PHASES}
        total = sum(seconds for seconds, _ in phase_best.values())
        total_gc = sum(in_gc for _, in_gc in phase_best.values())
        print(f"render breakdown (cold, best of {args.repeat} per phase, summed over the environments):")
        print(f"{'phase':<18} {'seconds':>8} {'share':>6} {'x floor':>8} {'in GC':>7}  what")
        for phase, what in PHASES:
            seconds, in_gc = phase_best[phase]
            print(f"{phase:<18} {seconds:>8.3f} {100 * seconds / total:>5.1f}% {seconds / floor:>7.2f}x {in_gc:>7.3f}  {what}")
        print(f"{'sum':<18} {total:>8.3f} {100:>5.1f}% {total / floor:>7.2f}x {total_gc:>7.3f}")
        print()
        verdict = "MET" if ratio <= TARGET_RATIO else "NOT MET"
        scale = "" if args.models == TARGET_MODELS else f" (this run: {args.models} models; the target applies to {TARGET_MODELS})"
        print(f"target: render <= {TARGET_RATIO:g}x floor at 3 x {TARGET_MODELS} models: {verdict} ({ratio:.2f}x){scale}")

        if args.profile:
            out = _fresh_dir(runs, "profile")
            reset_process_caches()
            profile_render(project_dir, out, args.crds, args.profile)
    finally:
        if args.keep:
            print(f"\nkept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
