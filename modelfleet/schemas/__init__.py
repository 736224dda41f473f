"""Strict validation of built manifests against upstream schemas, carried by the package as data."""
