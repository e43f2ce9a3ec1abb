"""Commands for waves of a survey: link, compare."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dmsurvey.cli.report import Language, LanguageOption

app = typer.Typer(rich_markup_mode="markdown")

EarlierStudy = Annotated[
    Path, typer.Argument(metavar="EARLIER", help="The study of the earlier wave.",
                         show_default=False)
]
LaterStudy = Annotated[
    Path, typer.Argument(metavar="LATER", help="The study of the later wave.",
                         show_default=False)
]


@app.command()
def link(
    earlier: EarlierStudy,
    later: LaterStudy,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Links file to write (CSV).")
    ] = Path("links.csv"),
) -> None:
    """Link the firms of two waves: by firm key, then proposals for a person to confirm.

    Firms with the same firm key (such as the unified social credit code) in both waves are
    linked. For every other firm of the later wave, up to three earlier firms are proposed,
    scored 0-1 from the firm name, the respondent and the size. Write **yes** in the
    `confirm` column of the proposals that are right: only key matches and confirmed
    proposals are used by **dmsurvey compare --links**.

    Example: **dmsurvey link zone-2020 zone-2022 -o links.csv**
    """
    from rich.console import Console

    from dmsurvey.store.linking import link_studies, write_links
    from dmsurvey.store.study import open_study
    from dmsurvey.wording import plural

    links = link_studies(open_study(earlier), open_study(later))
    write_links(links, output)
    keyed = int((links["match"] == "key").sum())
    proposed = links.loc[links["match"] == "proposed", "later_id"].nunique()
    Console().print(f"Linked {plural(keyed, 'firm')} by key; proposals for "
                    f"{plural(proposed, 'firm')} to confirm -> {output}")


@app.command()
def compare(
    earlier: EarlierStudy,
    later: LaterStudy,
    links: Annotated[
        Path | None,
        typer.Option("--links", help="Links file from **dmsurvey link** with the proposals "
                                     "you confirmed (default: pair firms by firm key only)."),
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for tables/ and charts/.")
    ] = Path("comparison"),
    lang: LanguageOption = Language.en,
) -> None:
    """Compare two waves: what changed for each firm and for the firms in both.

    Writes every table as CSV under OUTPUT/tables/ (per-firm changes, level transitions,
    McNemar tests per adoption indicator, Wilcoxon and paired t tests of the scores with
    intervals of the change, change by size class and industry, a size-vs-change
    regression, attrition with a test, both cross-sections, and what could not be
    compared) and the charts under OUTPUT/charts/ (slopes of the mean scores, a level
    transition heatmap, adoption in both waves).

    Example: **dmsurvey compare zone-2020 zone-2022 --links links.csv -o change/ --lang zh**
    """
    from rich.console import Console

    from dmsurvey.analysis.panel import compare_studies
    from dmsurvey.wording import plural

    written, pairs = compare_studies(earlier, later, output, links=links, language=lang.value)
    Console().print(f"Compared {plural(pairs, 'firm')} in both waves: "
                    f"{plural(len(written), 'file')} -> {output}")
