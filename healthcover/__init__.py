"""healthcover: China's basic medical insurance schemes as data, a vectorised claims engine,
financial-protection measures and actuarial helpers.

Public names are re-exported here once; modules behind them are free to move.
"""
from healthcover.errors import HealthcoverError
from healthcover.schemes import Scheme, list_schemes, load_scheme

__version__ = "0.1.0"

__all__ = ["HealthcoverError", "Scheme", "list_schemes", "load_scheme", "__version__"]
