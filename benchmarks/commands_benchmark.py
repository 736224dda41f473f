"""Benchmark of every `modelfleet` command as a user runs it, against the YAML-dump floor of the same run.

Generates a synthetic project from the repository's own example stacks (every model of stacks/, so every
backend: KServe with a vLLM runtime and a builtin runtime, KServe multi-node, Knative, Deployment with vLLM and
TGI, Ray Serve, LLMInferenceService) replicated to N models per environment, in 3 environments, in a temporary
git repository. Each command runs in a fresh process (`python -m modelfleet.cli ...`: interpreter start and
imports included); its CPU time (user + system of the process and of every process it waited for, from
os.wait4) and wall time are recorded. The floor runs in the same repetition, right before the commands:

    floor: a fresh Python process that imports PyYAML, unpickles the objects the render wrote (prepared once,
    outside the timing) and writes each with yaml.dump_all(..., Dumper=yaml.CSafeDumper, sort_keys=False) to its
    own file (several documents for a file of several documents): the same files, in the same directories, as
    `modelfleet render`.

Every figure is the ratio to that repetition's floor (paired), reported as the median of R repetitions with
min-max. See benchmarks/README.md.

Usage (from the repository root):
    venv/bin/python benchmarks/commands_benchmark.py [--models 100 1000] [--repeat 5] [--quick] [--source DIR]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("dev", "staging", "prod")
TARGET_MODELS = 1000
# Targets of issue 17: CPU time over the same run's floor at 3 x 1000 models.
TARGETS = {"render": 1.3, "validate": 0.8, "check": 1.5, "diff": 2.5, "job": 3.0}
SMALL_N_FACTOR = 3.0  # at N=100 every command within 3x of its per-model cost at N=1000
HELP_TARGET = 0.2  # seconds of wall time for `modelfleet --help`

FLOOR_SCRIPT = """\
import pickle, sys, yaml
from pathlib import Path
out = Path(sys.argv[2])
with open(sys.argv[1], "rb") as handle:
    files = pickle.load(handle)
dump_all, dumper = yaml.dump_all, yaml.CSafeDumper
for relative, documents in files:
    path = out / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(dump_all(documents, Dumper=dumper, sort_keys=False))
"""

# --------------------------------------------------------------------------------------------------
# Synthetic project: the example stacks, every model replicated


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _renamed(model: dict, name: str) -> dict:
    item = copy.deepcopy(model)
    item["name"] = name
    return item


def _replicas(models: list[dict], count: int, templates: list[str]) -> list[dict]:
    """`count` copies of the models named in `templates`, round robin: template t, index i -> '<t>-<i>'."""
    by_name = {model["name"]: model for model in models}
    width = len(str(count - 1))
    return [_renamed(by_name[templates[i % len(templates)]], f"{templates[i % len(templates)]}-{i:0{width}d}") for i in range(count) if templates[i % len(templates)] in by_name]


def generate_project(source: Path, root: Path, models: int) -> list[str]:
    """A valid project of `models` models per environment, cut from `source`'s example stacks; returns the
    model names of the replication order (template per index)."""
    shared = _load(source / "stacks" / "shared.yaml")
    stacks = {env: _load(source / "stacks" / f"Pulumi.{env}.yaml") for env in ENVIRONMENTS}
    shared_models = shared["config"]["modelfleet:models"]
    # Models that only a stack file declares (staging's llm model) are replicated in that stack alone.
    own = {env: [m for m in stacks[env]["config"].get("modelfleet:models", []) if m["name"] not in {s["name"] for s in shared_models}] for env in ENVIRONMENTS}
    templates = [m["name"] for m in shared_models] + [m["name"] for env in ENVIRONMENTS for m in own[env]]
    shared["config"]["modelfleet:models"] = _replicas(shared_models, models, templates)
    (root / "stacks").mkdir(parents=True)
    shutil.copyfile(source / "Pulumi.yaml", root / "Pulumi.yaml")
    for name in ("schema.json", "REFERENCE.md"):
        shutil.copyfile(source / "stacks" / name, root / "stacks" / name)
    shutil.copytree(source / "runtime-image", root / "runtime-image")
    # The compiler is part of the repository, as in this one: `diff HEAD` compiles the revision with its own.
    for directory in ("policies", "modelfleet", "components"):
        shutil.copytree(source / directory, root / directory, ignore=shutil.ignore_patterns("__pycache__"))
    for config in (root / "policies" / "config").glob("*.json"):
        data = json.loads(config.read_text(encoding="utf-8"))
        if isinstance(data.get("gpu-budget"), dict):
            data["gpu-budget"]["maxGpus"] = 1_000_000  # a fleet of N models needs a budget to match
        config.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    _write(root / "stacks" / "shared.yaml", shared)
    for env in ENVIRONMENTS:
        stack = stacks[env]
        overrides = stack["config"].get("modelfleet:models", [])
        stack["config"]["modelfleet:models"] = _replicas(overrides, models, templates)
        _write(root / "stacks" / f"Pulumi.{env}.yaml", stack)
    return templates


def _write(path: Path, data: dict) -> None:
    path.write_text("# yaml-language-server: $schema=./schema.json\n" + yaml.safe_dump(data, sort_keys=False, width=200), encoding="utf-8")


def change_one_model(root: Path) -> str:
    """The one-model change the diff measures: the first KServe vLLM model gets another maxModelLen everywhere."""
    path = root / "stacks" / "shared.yaml"
    shared = _load(path)
    model = next(m for m in shared["config"]["modelfleet:models"] if m.get("runtime") == "vllm-runtime" and "backend" not in m and m.get("enabled", True))
    model.setdefault("engine", {})["maxModelLen"] = 2048
    _write(path, shared)
    return model["name"]


def _git(root: Path, *args: str) -> None:
    environment = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=environment)


# --------------------------------------------------------------------------------------------------
# Measurement


@dataclass(frozen=True)
class Run:
    cpu: float  # user + system seconds of the process and the children it waited for
    wall: float
    code: int


def run(command: list[str], cwd: Path, environment: dict[str, str], ok: tuple[int, ...] = (0,)) -> Run:
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in ok:
            errors.seek(0)
            raise SystemExit(f"{' '.join(command)} exited {process.returncode}:\n{errors.read().decode(errors='replace')[-4000:]}")
    return Run(usage.ru_utime + usage.ru_stime, wall, process.returncode)


class Bench:
    def __init__(self, source: Path, work: Path):
        self.source = source
        self.work = work
        self.python = str(REPO_ROOT / "venv" / "bin" / "python") if (REPO_ROOT / "venv" / "bin" / "python").exists() else sys.executable
        # A stack file of 1000 models holds more YAML nodes than modelfleet accepts by default (a guard against
        # YAML bombs); the variable is the documented way to raise the limit for a legitimate file.
        self.environment = {**os.environ, "PYTHONPATH": str(source), "PYTHONHASHSEED": "0", "MODELFLEET_YAML_MAX_NODES": "100000000"}
        self.environment.pop("MODELFLEET_CRD_DIR", None)
        # Users run with the bytecode cache that an installation or the first run writes; a machine that sets this
        # variable would compile the whole package again in every measured process (the floor's PyYAML is compiled
        # at its installation either way).
        self.environment.pop("PYTHONDONTWRITEBYTECODE", None)
        self.counter = 0

    def cli(self, project: Path, *args: str) -> list[str]:
        return [self.python, "-m", "modelfleet.cli", *args[:1], "--project", str(project), *args[1:]]

    def scratch(self, label: str) -> Path:
        self.counter += 1
        return self.work / f"{label}-{self.counter}"

    def commands(self, project: Path) -> dict[str, list[tuple[list[str], tuple[int, ...]]]]:
        """Each row: the processes it runs, one after another (the main job is three)."""
        return {
            "render": [(self.cli(project, "render", "--out", "{out}"), (0,))],
            "validate": [(self.cli(project, "validate"), (0,))],
            "check": [(self.cli(project, "check"), (0,))],
            "diff": [(self.cli(project, "diff", "HEAD", "--color", "never"), (2,))],
            # README's main job (`make render`) without kustomize, the GitOps client's cost
            "job": [(self.cli(project, "schema", "--check"), (0,)), (self.cli(project, "render", "--out", "{out}"), (0,)), (self.cli(project, "check"), (0,))],
        }

    def measure(self, steps: list[tuple[list[str], tuple[int, ...]]], project: Path) -> Run:
        out = self.scratch("out")
        total = Run(0.0, 0.0, 0)
        for command, ok in steps:
            one = run([part.replace("{out}", str(out)) for part in command], project, self.environment, ok)
            total = Run(total.cpu + one.cpu, total.wall + one.wall, one.code)
        shutil.rmtree(out, ignore_errors=True)
        return total

    def floor(self, pickled: Path) -> Run:
        out = self.scratch("floor")
        result = run([self.python, "-c", FLOOR_SCRIPT, str(pickled), str(out)], self.work, self.environment)
        shutil.rmtree(out, ignore_errors=True)
        return result


def rendered_files(directory: Path) -> list[tuple[str, list]]:
    """Every file the render wrote, as (relative path, its YAML documents): what the floor writes again."""
    found = []
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            documents = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
            found.append((str(path.relative_to(directory)), documents or [None]))
    return found


@dataclass
class Size:
    models: int
    objects: int
    files: int
    runs: dict[str, list[Run]]
    ratios: dict[str, list[float]]


def bench_size(bench: Bench, models: int, repeat: int, commands: list[str]) -> Size:
    project = bench.work / f"project-{models}"
    generate_project(bench.source, project, models)
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "base")
    reference = bench.scratch("reference")
    bench.measure([(bench.cli(project, "render", "--out", str(reference)), (0,))], project)  # also warms the page cache
    files = rendered_files(reference)
    objects = sum(1 for relative, documents in files if not relative.endswith(("kustomization.yaml", ".modelfleet-owner")) and documents != [None])
    pickled = bench.work / f"objects-{models}.pickle"
    pickled.write_bytes(pickle.dumps(files))
    shutil.rmtree(reference)
    change_one_model(project)
    steps = bench.commands(project)
    for name in commands:  # one untimed run each: the bytecode cache of every module a command imports is written
        bench.measure(steps[name], project)
    runs: dict[str, list[Run]] = {name: [] for name in ["floor", *commands]}
    for repetition in range(repeat):
        runs["floor"].append(bench.floor(pickled))
        order = commands[repetition % len(commands):] + commands[: repetition % len(commands)]  # rotate: no command always runs first
        for name in order:
            runs[name].append(bench.measure(steps[name], project))
        print(f"  N={models} repetition {repetition + 1}/{repeat}: floor {runs['floor'][-1].cpu:.2f} s CPU; "
              + ", ".join(f"{name} {runs[name][-1].cpu:.2f}" for name in commands), file=sys.stderr, flush=True)
    ratios = {name: [one.cpu / floor.cpu for one, floor in zip(runs[name], runs["floor"])] for name in commands}
    return Size(models, objects, len(files), runs, ratios)


def help_times(bench: Bench, repeat: int) -> list[Run]:
    return [run([bench.python, "-m", "modelfleet.cli", "--help"], bench.work, bench.environment) for _ in range(repeat)]


# --------------------------------------------------------------------------------------------------
# Report


def _median_range(values: list[float], digits: int = 2, suffix: str = "×") -> str:
    return f"{statistics.median(values):.{digits}f}{suffix} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def report(sizes: list[Size], helps: list[Run], commands: list[str], argv: list[str], source: Path) -> str:
    lines = [
        f"`{' '.join(argv)}`",
        "",
        f"python {sys.version.split()[0]}, PyYAML {yaml.__version__} (libyaml), {os.cpu_count()} CPUs, source {source}; "
        f"{len(sizes[0].runs['floor'])} paired repetitions per size; CPU time (user + sys, children included) over the same repetition's floor, median (min–max).",
        "",
    ]
    header = "| command | " + " | ".join(f"N={size.models} ({size.objects} objects)" for size in sizes) + " | CPU per model | growth |"
    lines += [header, "|---|" + "---:|" * (len(sizes) + 2)]
    small, large = sizes[0], sizes[-1]
    verdicts = []
    for name in ["floor", *commands]:
        cells = []
        for size in sizes:
            cpu = [one.cpu for one in size.runs[name]]
            wall = statistics.median(one.wall for one in size.runs[name])
            ratio = f"{_median_range(size.ratios[name])}, " if name != "floor" else ""
            cells.append(f"{ratio}{statistics.median(cpu):.2f} s CPU, {wall:.2f} s wall")
        per_model = growth = "—"
        if len(sizes) > 1:
            high, low = statistics.median(one.cpu for one in large.runs[name]), statistics.median(one.cpu for one in small.runs[name])
            per_model = f"{1000 * (high - low) / (large.models - small.models):.2f} ms"
            growth = f"{high / low:.1f}× for {large.models / small.models:g}× models"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {per_model} | {growth} |")
    lines.append("")
    for name in commands:
        ratio = statistics.median(large.ratios[name])
        if large.models == TARGET_MODELS:
            verdicts.append(f"- {name}: {ratio:.2f}× floor at 3 × {large.models} (target ≤ {TARGETS[name]:g}×): {'met' if ratio <= TARGETS[name] else 'NOT met'}")
        if len(sizes) > 1:
            per_large = statistics.median(one.cpu for one in large.runs[name]) / large.models
            per_small = statistics.median(one.cpu for one in small.runs[name]) / small.models
            factor = per_small / per_large
            verdicts.append(f"  {name}: CPU per model at N={small.models} is {factor:.2f}× that at N={large.models} (target ≤ {SMALL_N_FACTOR:g}×): {'met' if factor <= SMALL_N_FACTOR else 'NOT met'}")
    wall = [one.wall for one in helps]
    verdicts.append(f"- `modelfleet --help`: {_median_range(wall, 3, ' s')} wall, {statistics.median(one.cpu for one in helps):.3f} s CPU (target < {HELP_TARGET} s wall): {'met' if statistics.median(wall) < HELP_TARGET else 'NOT met'}")
    return "\n".join(lines + ["Targets:", *verdicts]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, nargs="+", default=[100, TARGET_MODELS], help="models per environment, one size each (default: 100 1000)")
    parser.add_argument("--repeat", type=int, default=5, help="paired repetitions per size (default %(default)s)")
    parser.add_argument("--quick", action="store_true", help="a quick look: --models 100 300 --repeat 3")
    parser.add_argument("--commands", nargs="+", default=list(TARGETS), choices=list(TARGETS), help="the rows to measure (default: all)")
    parser.add_argument("--source", type=Path, default=REPO_ROOT, help="the modelfleet source tree to measure (default: this checkout); e.g. a copy of another revision")
    parser.add_argument("--out", type=Path, help="also write the markdown report to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary projects (path printed)")
    args = parser.parse_args(argv)
    if args.quick:
        args.models, args.repeat = [100, 300], 3
    if min(args.models) < 1 or args.repeat < 1:
        parser.error("--models and --repeat must be at least 1")
    if not getattr(yaml, "__with_libyaml__", False):
        raise SystemExit("PyYAML without libyaml: the floor (CSafeDumper) cannot be measured")
    source = args.source.resolve()
    work = Path(tempfile.mkdtemp(prefix="modelfleet-bench-"))
    try:
        bench = Bench(source, work)
        helps = help_times(bench, args.repeat)
        sizes = [bench_size(bench, models, args.repeat, args.commands) for models in sorted(args.models)]
        text = report(sizes, helps, args.commands, ["venv/bin/python", "benchmarks/commands_benchmark.py", *(argv if argv is not None else sys.argv[1:])], source)
        print(text)
        if args.out:
            args.out.write_text(text, encoding="utf-8")
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
