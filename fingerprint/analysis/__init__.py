"""Stored responses ─► evidence ─► tests ─► the test-based verdict, and the final label.

:func:`analyze` is the one entry: it takes every model's answers (:class:`ResponseSet`) and
returns the evidence, the tests and the test-based verdict.  The several-answers path
(per-probe kernel tests, pooled over probes) and the one-answer path (per-prompt
similarities, the lineage score) fill the same result.  :func:`final_verdict` combines the
test-based verdict with a calibrated probability into the label a report states; the
calibration itself lives one layer up.
"""

from ._analyze import ResponseSet, analyze
from ._lineage import METHOD as LINEAGE_METHOD
from ._lineage import (LineageResult, lineage_from_counts, lineage_score, panel_similarities,
                       score_in_panel, term_counts)
from ._single import WIDE_PANEL
from ._verdict import ALPHA_EQUALITY, final_verdict, fmt_p

__all__ = ["ALPHA_EQUALITY", "LINEAGE_METHOD", "LineageResult", "ResponseSet", "WIDE_PANEL",
           "analyze", "final_verdict", "fmt_p", "lineage_from_counts", "lineage_score",
           "panel_similarities", "score_in_panel", "term_counts"]
