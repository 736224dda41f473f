"""Pulumi program: read this stack's modelfleet config, build one ModelServingStack, export its outputs."""

from pathlib import Path

import pulumi

from components.model_serving_stack import ModelServingStack, ModelServingStackArgs
from modelfleet.resolve.environment import resolve
from modelfleet.spec import CONFIG_KEYS, CONFIG_NAMESPACE
from modelfleet.load.project import Project, SpecError
from modelfleet.spec.stack_loader import load_stack

config = pulumi.Config(CONFIG_NAMESPACE)
values = {key: config.get_object(key) for key in CONFIG_KEYS if config.get(key) is not None}
try:
    plan = resolve(load_stack(Project.at(Path(__file__).resolve().parent), pulumi.get_stack(), pulumi_config=values))
except SpecError as error:
    raise pulumi.RunError("\n".join(str(problem) for problem in error.problems)) from None

stack = ModelServingStack(plan.name, ModelServingStackArgs(environment=plan))
pulumi.export("namespace", stack.namespace)
pulumi.export("models", stack.models)
