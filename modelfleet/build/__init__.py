"""Pure manifest builders: plan in, plain Kubernetes object dicts out. No Pulumi import, deterministic."""
