"""Schemes as data: read, check and compile the files under ``data/schemes``.

* :mod:`~healthcover.schemes.model`: the file format (pydantic, JSON Schema), rule names and
  domains;
* :mod:`~healthcover.schemes.load`: reading a file safely and checking every field;
* :mod:`~healthcover.schemes.overrides`: local choices and reforms, normalised and checked;
* :mod:`~healthcover.schemes.compile`: the arrays the engine reads;
* :mod:`~healthcover.schemes.rules`: :class:`SchemeRules`, a scheme resolved for one variant.

The calculators sit above this package; ``healthcover.load_scheme`` returns a
:class:`healthcover.Scheme`, the rules joined with them. ``healthcover.schemes.Scheme`` and
``healthcover.schemes.load_scheme`` are kept as aliases of those (they moved).
"""
from __future__ import annotations

import importlib

from healthcover.schemes.model import SchemeFile, json_schema
from healthcover.schemes.rules import SchemeRules, load_rules

__all__ = ["SchemeFile", "SchemeRules", "json_schema", "list_schemes", "load_rules"]


def list_schemes() -> list[str]:
    """Ids of the bundled schemes (files ``data/schemes/<scheme-id>.yaml``)."""
    from healthcover.schemes.load import list_scheme_files

    return list(list_scheme_files())


def __getattr__(name: str):
    # Moved names: the runnable Scheme lives above the calculators (healthcover.scheme).
    if name in ("Scheme", "load_scheme"):
        return getattr(importlib.import_module("healthcover.scheme"), name)
    raise AttributeError(f"module 'healthcover.schemes' has no attribute {name!r}")
