"""Commands for waves of a survey: link, compare."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
