"""Container environment variables: a literal value or a reference to a Secret key."""

from __future__ import annotations

from pydantic import Field, model_validator

from modelfleet.catalog.credentials import credential
from modelfleet.spec.base import ObjectName, SpecModel


class SecretKeyRef(SpecModel):
    """A key of an existing Secret."""

    name: ObjectName = Field(description="Secret name.")
    key: str = Field(description="Key inside the Secret.")


class EnvVar(SpecModel):
    """One environment variable: set value or secretKeyRef."""

    name: str = Field(description="Variable name.", pattern=r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
    value: str | None = Field(None, description="Literal value (never a credential).")
    secret_key_ref: SecretKeyRef | None = Field(None, description="Read the value from a Secret key.")

    @model_validator(mode="after")
    def _one_source(self) -> "EnvVar":
        if (self.value is None) == (self.secret_key_ref is None):
            raise ValueError("set exactly one of value or secretKeyRef")
        why = credential(self.name, self.value) if self.value is not None else None
        if why is not None:
            raise ValueError(
                f"{self.name} has a literal value and {why}; it must not be in the stack file: "
                "use secretKeyRef: {name: <secret>, key: <key>}"
            )
        return self
