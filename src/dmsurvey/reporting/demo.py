"""The whole pipeline on the bundled sample: a study folder, then the report in English
and in Chinese, and the sample as 问卷星 and 腾讯问卷 export it (to see what imports); then
the 2022 wave of the same zone, its links to 2020 and the panel report (what changed since
2020) in both languages.

    >>> paths = build_demo("reports/demo")
    >>> paths.report_en            # reports/demo/report.html
    >>> paths.panel_en             # reports/demo/panel/report.html
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# The steps `write_report` reports, for a progress display of the known length.
REPORT_STEPS = ("analysis", "charts", "tables", "figures", "report")
PANEL_STEPS = ("study_2022", "links", *REPORT_STEPS, *REPORT_STEPS)
DEMO_STEPS = ("study", *REPORT_STEPS, *REPORT_STEPS, *PANEL_STEPS)


@dataclass(frozen=True)
class DemoPaths:
    study: Path
    report_en: Path
    report_zh: Path
    platform_exports: Path
    panel_en: Path | None = None
    panel_zh: Path | None = None
    links: Path | None = None


def build_demo(
    out_dir: str | Path = "reports/demo",
    *,
    progress: Callable[[str], None] | None = None,
) -> DemoPaths:
    """Build the sample study in `out_dir/study` (kept if it is there already) and write
    its report to `out_dir` (English) and `out_dir/zh` (Chinese); the sample's platform
    exports go to `out_dir/platform-exports`, the panel report to `out_dir/panel`."""
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
    panel = build_panel_demo(out, Path(study.path), progress=step)
    return DemoPaths(study=Path(study.path), report_en=english, report_zh=chinese,
                     platform_exports=exports, **panel)


def build_panel_demo(out: Path, study_2020: Path, *,
                     progress: Callable[[str], None]) -> dict[str, Path]:
    """The 2022 wave in `out/study-2022`, its links to 2020 in `out/panel/links.csv` (for a
    person to confirm) and the panel report, firms paired by credit code, in `out/panel`
    (English) and `out/panel/zh` (Chinese)."""
    from dmsurvey.reporting.report import report_study
    from dmsurvey.store.linking import link_studies, write_links
    from dmsurvey.store.sample_2022 import sample_study_2022
    from dmsurvey.store.study import open_study

    study_path = out / "study-2022"
    later = open_study(study_path) if study_path.exists() else sample_study_2022(study_path)
    progress("study_2022")
    links = write_links(link_studies(open_study(study_2020), later), out / "panel" / "links.csv")
    progress("links")
    reports = {language: report_study(later.path, out / "panel" / folder, language=language,
                                      progress=progress, previous=study_2020)
               for language, folder in (("en", ""), ("zh", "zh"))}
    return {"panel_en": reports["en"], "panel_zh": reports["zh"], "links": links}
