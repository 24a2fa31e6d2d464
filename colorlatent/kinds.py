"""Build objects by kind name from plain mappings (YAML configs, checkpoints, the CLI)."""

from __future__ import annotations

import inspect
from typing import Any


def build_by_kind(spec: Any, registry: dict[str, type], what: str,
                  nested: dict[str, dict[str, type]] | None = None) -> Any:
    """Build `registry[spec["kind"]](**rest of spec)`, checking the kind and the argument names first.

    Args:
        spec: A mapping with a `kind` key and the constructor's keyword arguments.
        registry: Kind name -> class.
        what: What is being built, for error messages (e.g. 'regularizer').
        nested: Argument name -> the registry of that argument's kinds, for arguments that
            may be given as a nested spec mapping (e.g. an intervention's mapper).

    Raises:
        ValueError: naming the unknown kind or argument and what is allowed.
    """
    if not isinstance(spec, dict) or "kind" not in spec:
        raise ValueError(f"a {what} config must be a mapping with a 'kind' key; got {spec!r}")
    kwargs = dict(spec)
    kind = kwargs.pop("kind")
    if kind not in registry:
        raise ValueError(f"unknown {what} kind {kind!r}; allowed: {sorted(registry)}")
    cls = registry[kind]
    allowed = list(inspect.signature(cls).parameters)
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ValueError(f"{what} kind {kind!r} got unknown argument(s) {unknown}; allowed: {allowed}")
    for key, kinds in (nested or {}).items():
        if isinstance(kwargs.get(key), dict):  # a spec; anything else is passed through as built
            kwargs[key] = build_by_kind(kwargs[key], kinds, f"{kind} {key}")
    return cls(**kwargs)
