"""The version of fingerprint (bumped with every release that changes behaviour)."""

__version__ = "0.3.0"
