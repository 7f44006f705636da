"""fingerprint: black-box evidence on whether a suspect LLM was distilled from a reference.

The public surface is small; everything else is an implementation detail.  The layers, from
the bottom up, are declared in :mod:`fingerprint._layers` (docs/architecture.md).
"""

from ._version import __version__
from .errors import FingerprintError
from .models.spec import ModelSpec, parse_spec
from .suite import Probe, Suite, load_suite

__all__ = ["__version__", "FingerprintError", "ModelSpec", "parse_spec", "Probe", "Suite",
           "load_suite"]
