"""fingerprint: black-box evidence on whether a suspect LLM was distilled from a reference.

The public surface is small; everything else is an implementation detail.
"""

__version__ = "0.1.0"

from .errors import FingerprintError  # noqa: E402
from .models.spec import ModelSpec, parse_spec  # noqa: E402
from .suite import Probe, Suite, load_suite  # noqa: E402

__all__ = ["__version__", "FingerprintError", "ModelSpec", "parse_spec", "Probe", "Suite",
           "load_suite"]
