"""Shared building blocks of the stack spec: the strict base model and common field types."""

from __future__ import annotations

import functools
import math
import re
from typing import Annotated

from pydantic import BeforeValidator, BaseModel, ConfigDict, StringConstraints, WithJsonSchema, field_validator
from pydantic.alias_generators import to_camel


class SpecModel(BaseModel):
    """Base of every spec model: strict types, unknown fields rejected, immutable, camelCase in YAML."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        serialize_by_alias=True,
    )

    @field_validator("*", mode="after")
    @classmethod
    def _bounded_integers(cls, value: object) -> object:
        """No whole number beyond what JSON, Pulumi's wire format (doubles) and the engines can hold exactly."""
        if type(value) is int and abs(value) > MAX_INTEGER:
            raise ValueError(f"{value} is too large (at most {MAX_INTEGER}); write a realistic value")
        return value


MAX_INTEGER = 2**53 - 1


DNS1035_LABEL = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS1123_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"

Dns1035Label = Annotated[str, StringConstraints(pattern=DNS1035_LABEL, max_length=63)]
"""A name that must start with a letter (KServe InferenceService and runtime names, Service names)."""

Dns1123Label = Annotated[str, StringConstraints(pattern=DNS1123_LABEL, max_length=63)]
"""A namespace name."""

ObjectName = Annotated[str, StringConstraints(pattern=DNS1123_SUBDOMAIN, max_length=253)]
"""A Kubernetes object name such as a Secret or PVC name."""

ExtendedResourceName = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$")
]

_QUANTITY = re.compile(
    r"^[+-]?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)


_QUANTITY_NUMBER = re.compile(r"^[+-]?[0-9.]*")


def _quantity(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is not a quantity; write a finite amount as a string, e.g. '500m', '2', '16Gi'")
    if isinstance(value, float):
        raise ValueError(f"{value} is a fraction; write quantities as strings, e.g. '{value}' or '{round(value * 1000)}m'")
    if isinstance(value, str) and not _QUANTITY.match(value):
        raise ValueError(f"{shown_value(value)!r} is not a Kubernetes quantity; write e.g. '500m', '2', '16Gi'")
    if isinstance(value, str) and (value.startswith("-") or not re.search(r"[1-9]", _QUANTITY_NUMBER.match(value).group())):
        raise ValueError(f"{value!r} is not above zero; write the amount needed, e.g. '500m', '2', '16Gi'")
    return value


Quantity = Annotated[
    str,
    BeforeValidator(_quantity),
    WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "string"}], "description": "A Kubernetes quantity."}),
]
"""A Kubernetes quantity ('500m', '16Gi', or a whole number); always emitted as a string."""

Version = Annotated[str, StringConstraints(pattern=r"^v?[0-9]+(\.[0-9]+){0,2}([-+.][0-9A-Za-z.-]+)?$")]
"""A version such as '0.15', 'v0.15.2' or '0.6.3.post1'."""


def shown_value(value: str) -> str:
    """A value quoted in an error message, cut to 60 characters so a pasted blob does not flood the output."""
    return value if len(value) <= 60 else value[:57] + "..."


@functools.lru_cache(maxsize=256)
def version_tuple(version: str) -> tuple[int, ...]:
    """The numeric release part of a version string: 'v0.15.2-rc1' -> (0, 15, 2). Cached: every model compares the
    same few platform and engine versions."""
    numbers = re.match(r"^v?([0-9]+(?:\.[0-9]+)*)", version)
    return tuple(int(part) for part in numbers.group(1).split(".")) if numbers else ()

_DURATION = re.compile(r"^(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+(?:\.[0-9]+)?)s)?$")


def _duration(value: object) -> object:
    if isinstance(value, str) and (not value or not _DURATION.match(value)):
        raise ValueError(f"{value!r} is not a duration; write e.g. '90s', '5m' or '1h30m'")
    return value


Duration = Annotated[
    str,
    BeforeValidator(_duration),
    WithJsonSchema({"type": "string", "pattern": _DURATION.pattern, "description": "A duration such as 90s, 5m or 1h."}),
]
"""A Go-style duration as Knative reads it: hours, minutes and seconds ('90s', '2m30s', '1h')."""


def duration_seconds(duration: str) -> float:
    hours, minutes, seconds = _DURATION.match(duration).groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)
