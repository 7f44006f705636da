"""The whole error hierarchy of fingerprint, in one place.

Every error a user can cause or meet derives from :class:`FingerprintError`.  The CLI
prints ``str(error)`` as one line and exits with ``error.exit_code``; no traceback.
Messages say what went wrong *and what to do*.  They never contain secrets.
"""

from __future__ import annotations


class FingerprintError(Exception):
    """Base class of every error fingerprint raises on purpose."""

    exit_code = 2


class SpecError(FingerprintError):
    """A model spec is malformed or names an unknown provider or organism."""


class MissingKeyError(FingerprintError):
    """A provider needs an API key or base URL that the environment does not hold."""


class SuiteError(FingerprintError):
    """A probe suite file is missing or malformed.  ``problems`` holds one line each."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class ProviderError(FingerprintError):
    """A model server failed or answered something that is not a valid response."""

    exit_code = 3

    def __init__(self, message: str, *, retryable: bool = False, retry_after: float | None = None,
                 status: int | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


class BudgetExceededError(FingerprintError):
    """Collecting more would exceed the request, token or money budget."""

    exit_code = 4


class CollectionIncompleteError(FingerprintError):
    """Some samples could not be collected; everything collected so far is stored."""

    exit_code = 3


class PreflightError(FingerprintError):
    """A model failed its one-request check before sampling; nothing was sampled."""

    exit_code = 3


class StoreError(FingerprintError):
    """The response store cannot be opened, read or written."""


class RunFolderError(FingerprintError):
    """The output folder holds another run or is not a run folder."""


class CorpusError(FingerprintError):
    """A response corpus is missing, in an unknown layout, or malformed."""


class CalibrationError(FingerprintError):
    """A calibration file or a set of labelled pairs is malformed."""


class SchemaError(FingerprintError):
    """A stored record (``report.json``, a typed result) does not match its schema."""


class LineageError(FingerprintError):
    """A lineage file (``--lineage FILE``) that cannot be read or does not follow the format."""


class SignatureError(FingerprintError):
    """A signing key or a run folder's signature cannot be read or used."""
