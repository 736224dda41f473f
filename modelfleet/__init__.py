"""modelfleet: a declarative GitOps config compiler for model serving on Kubernetes.

The data flow, one package per stage (imports only go from a later stage to an earlier one):

    load/     stack files as YAML with source positions, shared definitions merged under each stack
    spec/     the strict pydantic spec users write, its located errors, its JSON Schema
    plan/     the fully resolved, immutable plan of one environment
    resolve/  spec -> plan: defaults, references, engines, GPUs, autoscaling, cross-field rules
    build/    plan -> manifests: pure builders, plain dicts, no Pulumi
    schemas/  strict validation of manifests against the vendored upstream CRD schemas
    compile   the pipeline above for a set of environments
    render/   manifests -> rendered/<env>/ for a GitOps engine
    check/    the policy pack over Pulumi's Analyzer protocol
    diff/     what a change does to each environment
    capacity/ the GPU-fit and KV-cache capacity view of compiled environments
    output/   what the commands print for CI: the versioned JSON envelope and its schema, annotations
    cli       the `modelfleet` command

catalog/ holds facts the stages share (engine flags by version, KServe's builtin runtimes).
This module stays free of imports so that `modelfleet --version` and `python -m modelfleet.image_lock` are cheap.
"""

__version__ = "0.2.0"
