"""spec -> plan: defaults, references (storage, GPU pool, runtime), engines, GPUs, autoscaling and cross-field rules."""
