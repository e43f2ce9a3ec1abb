"""The whole pipeline on the bundled sample: a study folder, then the report in English
and in Chinese, and the sample as 问卷星 and 腾讯问卷 export it (to see what imports).

    >>> paths = build_demo("reports/demo")
    >>> paths.report_en            # reports/demo/report.html
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# The steps `write_report` reports, for a progress display of the known length.
REPORT_STEPS = ("analysis", "charts", "tables", "figures", "report")
DEMO_STEPS = ("study", *REPORT_STEPS, *REPORT_STEPS)


@dataclass(frozen=True)
class DemoPaths:
    study: Path
    report_en: Path
    report_zh: Path
    platform_exports: Path


def build_demo(
    out_dir: str | Path = "reports/demo",
    *,
    progress: Callable[[str], None] | None = None,
) -> DemoPaths:
    """Build the sample study in `out_dir/study` (kept if it is there already) and write
    its report to `out_dir` (English) and `out_dir/zh` (Chinese); the sample's platform
    exports go to `out_dir/platform-exports`."""
    from dmsurvey.reporting.report import report_study
    from dmsurvey.sampling.sample_design import record_sample_design
    from dmsurvey.store.platforms import write_sample_exports
    from dmsurvey.store.sample import sample_study
    from dmsurvey.store.study import open_study

    step = progress or (lambda name: None)
    out = Path(out_dir)
    study_path = out / "study"
    if study_path.exists():
        study = open_study(study_path)
    else:
        study = sample_study(study_path)
        record_sample_design(study.path)
    step("study")
    english = report_study(study.path, out, language="en", progress=step)
    chinese = report_study(study.path, out / "zh", language="zh", progress=step)
    exports = out / "platform-exports"
    write_sample_exports(exports)
    return DemoPaths(study=Path(study.path), report_en=english, report_zh=chinese,
                     platform_exports=exports)
