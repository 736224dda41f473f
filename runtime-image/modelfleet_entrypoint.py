"""modelfleet engine entrypoint: check the compiled engine configuration, then become vLLM.

Usage: modelfleet_entrypoint.py [--print] [ENGINE_ARG ...]

The configuration is a JSON object from the environment variable MODELFLEET_ENGINE_CONFIG and/or
the file named by MODELFLEET_ENGINE_CONFIG_FILE (default /etc/modelfleet/engine.json, read only
if it exists; a file named explicitly must exist). Keys of the variable override the file's.
Command-line arguments are appended after the configuration's "args". `--print` (first argument
only) prints the engine command as a JSON list instead of running it. The contract is in
runtime-image/README.md.

A bad configuration is one line per problem on stderr and exit status 2, before the engine starts.
A good one replaces this process with the engine (os.execvp): vLLM keeps this process's PID (PID 1
in the container), so the kubelet's SIGTERM reaches vLLM directly and its exit status is the
container's, with no Python parent in between that would have to forward signals or reap children.

Standard library only: it runs with the image's python3, before anything else.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import sys

PROG = "modelfleet-entrypoint"
CONFIG_ENV = "MODELFLEET_ENGINE_CONFIG"
CONFIG_FILE_ENV = "MODELFLEET_ENGINE_CONFIG_FILE"
DEFAULT_CONFIG_FILE = "/etc/modelfleet/engine.json"
PRINT_FLAG = "--print"
HOST = "0.0.0.0"
DEFAULTS = {"model": "/mnt/models", "port": 8080, "args": []}
KNOWN_KEYS = ("engine", "engineVersion", "model", "servedModelName", "port", "args")
REQUIRED_KEYS = ("engine", "engineVersion")
# Flags the entrypoint sets itself, and the key that sets each.
OWN_FLAGS = {"--model": "model", "--port": "port", "--served-model-name": "servedModelName", "--host": None}
# `vllm serve --model M` works from 0.8.3 (the positional model was required before); the legacy
# module works in every release but warns from 0.29.0.
VLLM_SERVE_SINCE = (0, 8, 3)
LEGACY_SERVER_MODULE = "vllm.entrypoints.openai.api_server"
HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")
EXIT_BAD_CONFIG = 2
EXIT_CANNOT_EXEC = 127


class ConfigError(Exception):
    """The configuration cannot start the engine; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _show(value: object) -> str:
    return "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else json.dumps(value)


def _where(origin: dict[str, str], key: str) -> str:
    """`source: "key"`, naming the file or variable the key came from."""
    return f"{origin.get(key, 'engine configuration')}: {json.dumps(key)}"


def _flag(token: str) -> str | None:
    """The long flag a token sets, spelled with dashes (vLLM accepts `--max_model_len` too), else None."""
    return token.split("=", 1)[0].replace("_", "-") if token.startswith("--") else None


def _setter(flag: str) -> str:
    key = OWN_FLAGS[flag]
    return f'the entrypoint sets it from "{key}"' if key else f"the entrypoint always sets it to {HOST}"


def read_config(environ: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """The merged configuration and, for each key, the source it came from (file path or variable)."""
    named = environ.get(CONFIG_FILE_ENV)
    path = named or DEFAULT_CONFIG_FILE
    sources = []
    if named or os.path.exists(path):
        try:
            with open(path, encoding="utf-8") as handle:
                sources.append((path, handle.read()))
        except OSError as err:
            raise ConfigError([f"{path}: cannot read the engine configuration: {err.strerror}"]) from None
        except UnicodeDecodeError:
            raise ConfigError([f"{path}: the engine configuration is not UTF-8 text"]) from None
    if environ.get(CONFIG_ENV):
        sources.append((CONFIG_ENV, environ[CONFIG_ENV]))
    if not sources:
        raise ConfigError([f"no engine configuration: set {CONFIG_ENV} or mount {DEFAULT_CONFIG_FILE}"])
    config: dict = {}
    origin: dict[str, str] = {}
    problems = []
    for name, text in sources:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            problems.append(f"{name}: not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})")
            continue
        if not isinstance(data, dict):
            problems.append(f"{name}: must be a JSON object, got {_show(data)}")
            continue
        config.update(data)
        origin.update(dict.fromkeys(data, name))
    if problems:
        raise ConfigError(problems)
    return config, origin


def _config_problems(config: dict, origin: dict[str, str]) -> list[str]:
    """Unknown and missing keys, wrong types and values, and flags in "args" the entrypoint owns."""
    known = ", ".join(KNOWN_KEYS)
    problems = [f"{_where(origin, key)} is not a known key (known: {known})" for key in config if key not in KNOWN_KEYS]
    problems += [f"{_where(origin, key)} is required" for key in REQUIRED_KEYS if key not in config]
    if config.get("engine", "vllm") != "vllm":
        problems.append(f"{_where(origin, 'engine')} must be \"vllm\", got {_show(config['engine'])}")
    for key in ("engineVersion", "model", "servedModelName"):
        if key in config and not (isinstance(config[key], str) and config[key]):
            problems.append(f"{_where(origin, key)} must be a non-empty string, got {_show(config[key])}")
    port = config.get("port", DEFAULTS["port"])
    if not (type(port) is int and 1 <= port <= 65535):
        problems.append(f"{_where(origin, 'port')} must be a whole number from 1 to 65535, got {_show(port)}")
    args = config.get("args", DEFAULTS["args"])
    if not isinstance(args, list):
        return problems + [f"{_where(origin, 'args')} must be a list of strings, got {_show(args)}"]
    for index, arg in enumerate(args):
        if not isinstance(arg, str):
            return problems + [f"{_where(origin, 'args')} item {index} must be a string, got {_show(arg)}"]
    for flag in dict.fromkeys(filter(None, map(_flag, args))):
        if flag in OWN_FLAGS:
            problems.append(f"{_where(origin, 'args')} must not contain {flag}: {_setter(flag)}")
    return problems


def _release(version: str) -> tuple[int, ...]:
    match = re.match(r"\d+(\.\d+)*", version)
    return tuple(int(part) for part in match.group().split(".")) if match else ()


def installed_vllm_version() -> str:
    try:
        return importlib.metadata.version("vllm")
    except importlib.metadata.PackageNotFoundError:
        raise ConfigError([f"vllm is not installed for {sys.executable}"]) from None


def engine_command(environ: dict[str, str], extra_args: list[str]) -> list[str]:
    """The engine's argv for this configuration and these extra arguments; ConfigError if it cannot start."""
    config, origin = read_config(environ)
    problems = _config_problems(config, origin)
    if problems:
        raise ConfigError(problems)
    settings = {**DEFAULTS, **config}
    model = settings["model"]
    installed = installed_vllm_version()
    if installed.split("+")[0] != settings["engineVersion"]:
        problems.append(
            f"the image has vllm {installed} but the engine arguments were compiled for vllm "
            f"{settings['engineVersion']}: the image and the compiled flags disagree"
        )
    if not (os.path.exists(model) or HUB_ID.fullmatch(model)):
        problems.append(f"{_where(origin, 'model')} {json.dumps(model)} does not exist and is not a hub id (org/name)")
    set_here = {flag for flag, key in OWN_FLAGS.items() if key is None or key in settings}
    for flag in dict.fromkeys(filter(None, map(_flag, extra_args))):
        if flag in set_here:
            problems.append(f"command-line argument {flag} repeats a flag: {_setter(flag)}")
    if problems:
        raise ConfigError(problems)
    if _release(installed) >= VLLM_SERVE_SINCE:
        command = ["vllm", "serve"]
    else:
        command = [sys.executable, "-m", LEGACY_SERVER_MODULE]
    command += ["--model", model, "--host", HOST, "--port", str(settings["port"])]
    if "servedModelName" in settings:
        command += ["--served-model-name", settings["servedModelName"]]
    return command + settings["args"] + extra_args


def main(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    dry_run = argv[:1] == [PRINT_FLAG]
    try:
        command = engine_command(os.environ if environ is None else environ, argv[1:] if dry_run else argv)
    except ConfigError as err:
        for line in err.problems:
            print(f"{PROG}: {line}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    if dry_run:
        print(json.dumps(command))
        return 0
    try:
        os.execvp(command[0], command)
    except OSError as err:
        print(f"{PROG}: cannot start {command[0]}: {err.strerror}", file=sys.stderr)
    return EXIT_CANNOT_EXEC


if __name__ == "__main__":
    sys.exit(main())
