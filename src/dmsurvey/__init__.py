"""dmsurvey: surveys of SME digital maturity, from questionnaire to policy report.

    >>> import dmsurvey
    >>> study = dmsurvey.open_study("my-study")
    >>> scores = dmsurvey.score(study.responses(), study.questionnaire)

Names are imported on first use, so `import dmsurvey` (and the command line) stays quick.
"""

from __future__ import annotations

import importlib

__version__ = "0.3.0"

# public name -> module that defines it
_EXPORTS = {
    "load_questionnaire": "dmsurvey.questionnaire.loader",
    "list_bundled": "dmsurvey.questionnaire.bundled",
    "convert_xlsform": "dmsurvey.questionnaire.xlsform",
    "Questionnaire": "dmsurvey.questionnaire.model",
    "init_study": "dmsurvey.store.study",
    "open_study": "dmsurvey.store.study",
    "Study": "dmsurvey.store.study",
    "expand_multiselect": "dmsurvey.store.frames",
    "sample_study": "dmsurvey.store.sample",
    "load_sample_responses": "dmsurvey.store.sample",
    "score_dataset": "dmsurvey.datasets",
    "shares_dataset": "dmsurvey.datasets",
    "score": "dmsurvey.analysis.scoring",
    "reliability": "dmsurvey.analysis.reliability",
    "shares": "dmsurvey.analysis.shares",
    "wilson_interval": "dmsurvey.analysis.shares",
    "size_class": "dmsurvey.analysis.sizes",
    "size_regressions": "dmsurvey.analysis.regressions",
    "size_gradient": "dmsurvey.analysis.gradients",
    "crosstab_test": "dmsurvey.analysis.breakdowns",
    "poststratification_weights": "dmsurvey.analysis.weights",
    "summary_charts": "dmsurvey.reporting.charts",
    "write_report": "dmsurvey.reporting.report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'dmsurvey' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
