"""The `modelfleet` command: offline render, validation, policy check and diff of the stacks. No Pulumi CLI, no cluster.

Exit codes, the same for every command (README "CI integration"): 0 success, 1 findings or bad input, 2 changes
(`diff` only), 64 a usage error, 130 interrupted, 141 the reader of the output went away.
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
from pathlib import Path

from modelfleet.render.write import RenderError, write_output
from modelfleet.load.project import Project, SpecError
from modelfleet import __version__
from modelfleet.output import Problem, annotation, document, problem_annotation

EXIT_OK, EXIT_PROBLEMS = 0, 1  # `diff` adds 2: changes (modelfleet/diff/compare.py)
EXIT_USAGE = 64  # sysexits' EX_USAGE: argparse's own 2 would read as "changes" from `modelfleet diff`
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # what a shell reports for a writer killed by SIGPIPE: the reader (| head) went away


PROTOCOLS = ("in-process", "grpc")  # modelfleet/check/check.py: how the policy pack runs
PROTOCOL_HELP = ("how the policy pack runs: in-process (default; evaluated as the pulumi-policy SDK does, same verdicts) "
                 "or grpc (its own process over Pulumi's Analyzer protocol, as `pulumi preview` drives it, with a deadline per call)")


class UsageError(Exception):
    """Arguments that parse but do not go together."""


def _project(args: argparse.Namespace) -> Project:
    return Project.at(args.project.resolve()) if args.project else Project.find(Path.cwd())


def _environments(project: Project, requested: list[str]) -> list[str]:
    return requested or project.environments()


def _compiled(project: Project, args: argparse.Namespace, strict: bool) -> list:
    """The environments asked for, compiled; `strict`: validated against the schemas too. Imported here, as every
    stage is only needed by the commands that compile: `--help` and `--version` stay instant."""
    from modelfleet.compile import compile_environments, load_schemas

    return compile_environments(project, _environments(project, args.env), load_schemas(args.crds) if strict else None)


def _print_notices(compiled) -> None:
    for item in compiled:
        for notice in item.notices:
            print(f"warning: {notice}", file=sys.stderr)


def _compiled_report(args: argparse.Namespace, compiled, lines: list[str], environments: list[dict]) -> int:
    """The success report of render and validate: lines of text (notices as warnings), or the JSON document."""
    if args.format == "json":
        warnings = [{"environment": item.env, "message": notice} for item in compiled for notice in item.notices]
        print(document(args.command, EXIT_OK, environments=environments, warnings=warnings))
        return EXIT_OK
    if args.format == "github":
        lines = [annotation("warning", None, f"modelfleet {args.command} ({item.env})", notice) for item in compiled for notice in item.notices] + lines
    else:
        _print_notices(compiled)
    print("\n".join(lines))
    return EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    from modelfleet.render.files import render_files

    project = _project(args)
    compiled = _compiled(project, args, strict=True)
    out = args.out if args.out is not None else project.root / "rendered"
    trees = {item.env: render_files(item.env, item.objects, item.gitops_objects) for item in compiled}
    write_output(out, trees)
    lines, environments = [], []
    for item in compiled:
        count = len(item.gitops_objects)
        engines = f", {count} GitOps engine object{'s' * (count != 1)} -> {project.display(out / item.env / 'gitops')}" if count else ""
        lines.append(f"{item.env}: {len(item.objects)} objects -> {project.display(out / item.env)}{engines}")
        environments.append({"environment": item.env, "objects": len(item.objects), "gitopsObjects": count, "directory": project.display(out / item.env)})
    return _compiled_report(args, compiled, lines, environments)


def cmd_validate(args: argparse.Namespace) -> int:
    project = _project(args)
    compiled = _compiled(project, args, strict=True)
    lines = [f"{item.env}: {len(item.objects)} objects valid" for item in compiled]
    environments = [{"environment": item.env, "objects": len(item.objects), "gitopsObjects": len(item.gitops_objects)} for item in compiled]
    return _compiled_report(args, compiled, lines, environments)


def cmd_capacity(args: argparse.Namespace) -> int:
    from modelfleet.capacity.report import render  # only this command formats the capacity view

    project = _project(args)
    compiled = _compiled(project, args, strict=False)
    _print_notices(compiled)
    print(render(compiled, args.format))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    project = _project(args)
    from modelfleet.spec.json_schema import REFERENCE_FILE, SCHEMA_FILE, reference_markdown, schema_text

    generated = {project.stacks_dir / SCHEMA_FILE: schema_text(), project.stacks_dir / REFERENCE_FILE: reference_markdown()}
    if args.check:
        stale = [path for path, text in generated.items() if not path.is_file() or path.read_text(encoding="utf-8") != text]
        for path in stale:
            print(f"{project.display(path)} is out of date; run `modelfleet schema` and commit it", file=sys.stderr)
        if not stale:
            print("stacks/schema.json and stacks/REFERENCE.md are up to date")
        return EXIT_PROBLEMS if stale else EXIT_OK
    for path, text in generated.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {project.display(path)}")
    return EXIT_OK


def cmd_schemas_import(args: argparse.Namespace) -> int:
    from modelfleet.schemas.vendor import SchemaImportError, import_schemas

    try:
        lines = import_schemas(args.crd_dir)
    except SchemaImportError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_PROBLEMS
    for line in lines:
        print(line)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    if args.manifests and args.env:
        raise UsageError("check either environments or --manifests, not both (--env picks the policy config for manifests)")
    project = _project(args)
    # Imported here: the pack and its protocol are only needed by this command.
    from modelfleet.check.analyzer_client import PolicyPackError
    from modelfleet.check.check import check_environments, check_manifests
    from modelfleet.check.report import exit_code, render

    try:
        if args.manifests:
            results = [check_manifests(project, args.manifests, args.manifest_env, args.config, args.protocol)]
        else:
            results = check_environments(project, _compiled(project, args, strict=False), args.config, args.protocol)
    except PolicyPackError as error:
        return _failed(args, [str(error)])
    print(render(results, args.format))
    return exit_code(results)


def _colour(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def cmd_diff(args: argparse.Namespace) -> int:
    project = _project(args)
    # Imported here: only this command needs git, the pack protocol and the report formats.
    from modelfleet.diff.compare import compare
    from modelfleet.diff.report import render
    from modelfleet.diff.sources import DiffInputError, snapshots
    from modelfleet.check.analyzer_client import PolicyPackError

    try:
        base, head = snapshots(project, args.base, args.head, args.crds)
        result = compare(project, base, head, args.env, with_policy=not args.no_policy, protocol=args.protocol)
    except DiffInputError as error:
        return _failed(args, error.problems, "diff failed: a side could not be compiled or read")
    except PolicyPackError as error:
        return _failed(args, [str(error)])
    # github: the text report in the log (compile errors, above, are the annotations)
    print(render(result, "text" if args.format == "github" else args.format, _colour(args.color)))
    return result.exit_code


def _failed(args: argparse.Namespace, problems: list[Problem], summary: str | None = None) -> int:
    """Bad input: every problem on stderr; as annotations (github) or in the JSON document (json) on stdout too."""
    for problem in problems:
        print(problem, file=sys.stderr)
    print(summary or f"{len(problems)} problem(s); nothing written", file=sys.stderr)
    output_format = getattr(args, "format", "text")
    if output_format == "github":
        print("\n".join(problem_annotation(problem, args.command) for problem in problems))
    elif output_format == "json":
        print(document(args.command, EXIT_PROBLEMS, problems))
    return EXIT_PROBLEMS


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors on EXIT_USAGE (its own code, 2, is what `diff` returns for changes)."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


class _Version(argparse.Action):
    """--version: the package version and the upstream schema versions it validates against (read on demand)."""

    def __call__(self, parser, namespace, values, option_string=None):
        from modelfleet.schemas.vendor import versions_summary

        print(f"modelfleet {__version__}\n{versions_summary()}")
        parser.exit(EXIT_OK)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="modelfleet", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=_Version, nargs=0, help="print the version and the vendored schema versions, then exit")
    sub = parser.add_subparsers(dest="command", required=True)
    formats = ("text", "json", "github")
    format_help = "report format (json: versioned, see README 'CI integration'; github: workflow annotations)"

    def common(command: argparse.ArgumentParser, with_envs: bool = True) -> None:
        command.add_argument("--project", type=Path, help="project directory (default: nearest Pulumi.yaml upward)")
        if with_envs:
            command.add_argument("env", nargs="*", help="environments (default: every stacks/Pulumi.<env>.yaml)")
            command.add_argument("--crds", type=Path, help="validate against the CRD YAML files in DIR instead of the vendored schemas (default: $MODELFLEET_CRD_DIR if set)", metavar="DIR")

    render = sub.add_parser("render", help="compile, validate and write rendered/<env>/ for GitOps")
    common(render)
    render.add_argument("--out", type=Path, help="output directory (default: <project>/rendered)")
    render.add_argument("--format", choices=formats, default="text", help=format_help)
    render.set_defaults(run=cmd_render)

    validate = sub.add_parser("validate", help="compile and validate strictly against the schemas; write nothing")
    common(validate)
    validate.add_argument("--format", choices=formats, default="text", help=format_help)
    validate.set_defaults(run=cmd_validate)

    capacity = sub.add_parser("capacity", help="GPU memory fit and KV-cache capacity of every vLLM/TGI model, per environment")
    common(capacity, with_envs=False)
    capacity.add_argument("env", nargs="*", help="environments (default: every stacks/Pulumi.<env>.yaml)")
    capacity.add_argument("--format", choices=("text", "markdown", "json"), default="text", help="report format")
    capacity.set_defaults(run=cmd_capacity)

    schema = sub.add_parser("schema", help="write stacks/schema.json (JSON Schema of stack files) and stacks/REFERENCE.md")
    common(schema, with_envs=False)
    schema.add_argument("--check", action="store_true", help="fail if stacks/schema.json is out of date")
    schema.set_defaults(run=cmd_schema)

    schemas = sub.add_parser("schemas", help="the upstream CRD schemas vendored in the package")
    schemas_sub = schemas.add_subparsers(dest="schemas_command", required=True)
    schemas_import = schemas_sub.add_parser(
        "import",
        help="re-import the vendored schemas from a directory of upstream CRD YAML files",
        description="Write, for every served version of every CRD in DIR, its structural openAPIV3Schema (descriptions "
        "dropped) as compact JSON into the package, with provenance (repository, tag, path, sha256). Every file must be "
        "listed with its sha256 in modelfleet/schemas/vendored/sources.yaml.",
    )
    schemas_import.add_argument("crd_dir", type=Path, metavar="DIR", help="directory of the upstream CRD YAML files listed in modelfleet/schemas/vendored/sources.yaml")
    schemas_import.set_defaults(run=cmd_schemas_import)

    check = sub.add_parser("check", help="run the policy pack (policies/) over Pulumi's Analyzer protocol, offline")
    common(check, with_envs=False)
    check.add_argument("env", nargs="*", help="environments to compile and check (default: every stacks/Pulumi.<env>.yaml)")
    check.add_argument("--manifests", nargs="+", type=Path, metavar="PATH", help="check these Kubernetes YAML files or directories instead (- reads standard input)")
    check.add_argument("--env", dest="manifest_env", default="dev", metavar="ENV", help="with --manifests: whose policies/config/<ENV>.json applies (default: dev)")
    check.add_argument("--config", type=Path, metavar="FILE", help="policy config file to use instead of policies/config/<env>.json")
    check.add_argument("--format", choices=formats, default="text", help=format_help)
    check.add_argument("--protocol", choices=PROTOCOLS, default=PROTOCOLS[0], help=PROTOCOL_HELP)
    check.set_defaults(run=cmd_check)

    diff = sub.add_parser(
        "diff",
        help="what a change does to every environment: objects, GPUs and serving settings, policy results",
        description="Compare BASE with HEAD per environment. Each is a git revision of this repository (compiled "
        "offline by that revision's own compiler from a `git archive` export; the working tree is never touched) "
        "or a directory of rendered trees; HEAD defaults to the working tree. Exit 0: no change; 2: changes; "
        "1: an error (a side does not compile, or a mandatory policy violation on the HEAD side); 64: a usage error.",
    )
    common(diff, with_envs=False)
    diff.add_argument("base", metavar="BASE", help="git revision (branch, tag, commit) or rendered directory")
    diff.add_argument("head", metavar="HEAD", nargs="?", help="git revision or rendered directory (default: the working tree)")
    diff.add_argument("--env", action="append", metavar="ENV", help="only this environment (repeatable; default: every environment on either side)")
    diff.add_argument("--format", choices=("text", "markdown", *formats[1:]), default="text", help="report format (markdown: a pull-request comment; " + format_help.removeprefix("report format ("))
    diff.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour the text report (auto: on a terminal, unless NO_COLOR is set)")
    diff.add_argument("--no-policy", action="store_true", help="skip the policy checks of both sides")
    diff.add_argument("--protocol", choices=PROTOCOLS, default=PROTOCOLS[0], help=PROTOCOL_HELP)
    diff.add_argument("--crds", type=Path, help="validate against the CRD YAML files in DIR instead of the vendored schemas (default: $MODELFLEET_CRD_DIR if set)", metavar="DIR")
    diff.set_defaults(run=cmd_diff)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # A command allocates millions of long-lived objects and next to no garbage cycles: the cyclic collector's
    # passes over them free nothing (a render of 3 x 1000 models peaks at the same memory without them).
    # Reference counting still frees everything else; the collector is back on for the caller.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return args.run(args)
    except UsageError as error:
        print(f"modelfleet {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except SpecError as error:
        return _failed(args, error.problems)
    except RenderError as error:
        return _failed(args, [str(error)])
    except KeyboardInterrupt:
        # The policy pack, diff's compilers and their temporary directories, and a render's staging directory
        # are cleaned up on the way here.
        print(f"modelfleet {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        return EXIT_BROKEN_PIPE
    finally:
        if collecting:
            gc.enable()


def run() -> None:
    """The `modelfleet` command as a process: main()'s exit code, and no traceback for a Ctrl-C that arrives once
    the command is done (it can change nothing any more)."""
    code = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(code)


if __name__ == "__main__":
    run()
