"""Schemes as data: read, check and resolve the parameter files under ``data/schemes``."""
from healthcover.schemes.scheme import Scheme, list_schemes, load_scheme

__all__ = ["Scheme", "list_schemes", "load_scheme"]
