"""Helpers shared by the rules: Kubernetes objects as the policy SDK hands them over, pod templates, images."""
