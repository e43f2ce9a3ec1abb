"""Commands: sample size, sample draw, design."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dmsurvey.cli._common import StudyArgument

app = typer.Typer(rich_markup_mode="markdown",
                  help="Plan a sample: how many firms, and a stratified draw from a register.")
design_app = typer.Typer(rich_markup_mode="markdown")

StrataOption = Annotated[
    str | None,
    typer.Option("--strata", metavar="COL,COL",
                 help="Frame columns whose combinations are the strata, e.g. "
                      "industry,size_class."),
]


def _columns(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@app.command("size")
def size(
    margin: Annotated[float, typer.Option("--margin", help="Margin of error: 0.05 is ±5 "
                                          "points for a share; in units for a mean.")],
    confidence: Annotated[float, typer.Option(help="Confidence level.")] = 0.95,
    share: Annotated[float, typer.Option(help="Expected share (0.5 is the safe guess).")] = 0.5,
    sd: Annotated[float | None, typer.Option(
        help="Standard deviation, for a mean instead of a share.")] = None,
    deff: Annotated[float, typer.Option(help="Expected design effect.")] = 1.0,
    population: Annotated[int | None, typer.Option(
        help="Firms in the population (finite population correction).")] = None,
    response_rate: Annotated[float, typer.Option(
        help="Expected share of contacted firms that answer.")] = 1.0,
    frame: Annotated[Path | None, typer.Option(
        help="A register (CSV or Excel): sizes per stratum of --strata.")] = None,
    strata: StrataOption = None,
) -> None:
    """How many firms to interview, and to contact, for a share or mean at a margin.

    n0 = z² p(1 − p) / margin² × deff (a mean: z² sd² / margin² × deff), corrected for
    the population, divided by the response rate for the firms to contact. With a frame
    and strata, also per stratum (each stratum estimated on its own).

    Example: **dmsurvey sample size --margin 0.05 --share 0.3 --deff 1.5 --response-rate 0.6
    --frame register.csv --strata industry**
    """
    from rich.console import Console

    from dmsurvey.cli.analysis import _rich_table
    from dmsurvey.sampling.planning import read_frame, sample_size_table

    populations = None
    if frame is not None:
        register = read_frame(frame)
        columns = _columns(strata) or []
        populations = (register.groupby(columns).size() if columns else None)
        if populations is not None and len(columns) > 1:
            populations.index = ["/".join(map(str, key)) for key in populations.index]
        population = population or len(register)
    table = sample_size_table(populations, margin=margin, confidence=confidence,
                              share=share, sd=sd, deff=deff,
                              population=population, response_rate=response_rate)
    Console().print(_rich_table(table, "Sample size"))


@app.command("draw")
def draw(
    frame: Annotated[Path, typer.Argument(metavar="FRAME", help="Business register: CSV "
                                          "or Excel, one row per firm.")],
    strata: StrataOption = None,
    n: Annotated[int, typer.Option("--n", help="Firms to draw.")] = 400,
    allocation: Annotated[str, typer.Option(
        help="proportional, neyman, equal or optimal.")] = "proportional",
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same draw.")] = 7,
    variable: Annotated[str | None, typer.Option(
        help="Numeric frame column whose spread per stratum drives neyman/optimal.")] = None,
    cost: Annotated[str | None, typer.Option(
        help="Frame column of the cost per interview (optimal).")] = None,
    reserve: Annotated[float, typer.Option(
        help="Reserve firms per stratum, as a fraction of its sample.")] = 0.5,
    id_column: Annotated[str | None, typer.Option(
        "--id", help="Firm id column (makes the draw independent of row order).")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Draw to write (CSV).")
                      ] = Path("draw.csv"),
) -> None:
    """Draw a stratified random sample of firms, with a reserve list per stratum.

    Writes the drawn firms (role sample, then reserve with their rank) with stratum,
    population, allocated, inclusion_probability and design_weight; and the allocation
    table beside it as OUTPUT_allocation.csv.

    Example: **dmsurvey sample draw register.csv --strata industry,size_class --n 400
    --allocation proportional --seed 7 -o draw.csv**
    """
    from rich.console import Console

    from dmsurvey.cli.analysis import _rich_table
    from dmsurvey.sampling.planning import read_frame, stratified_draw

    register = read_frame(frame)
    drawn, table = stratified_draw(register, strata=_columns(strata), n=n,
                                   allocation=allocation, seed=seed, variable=variable,
                                   cost=cost, reserve=reserve, id_column=id_column,
                                   source=str(frame))
    drawn.to_csv(output, index=False)
    allocation_path = output.with_name(f"{output.stem}_allocation.csv")
    table.to_csv(allocation_path, index=False)
    console = Console()
    console.print(_rich_table(table, f"Allocation ({allocation}, seed {seed})"))
    console.print(f"Drew {int(table['allocated'].sum())} firms and "
                  f"{int(table['reserve'].sum())} reserves from {len(register)} -> {output}, "
                  f"{allocation_path}", highlight=False)


@design_app.command("design")
def design(
    study: StudyArgument,
    frame: Annotated[Path | None, typer.Option(
        "--frame", metavar="DRAW.csv", help="The draw: one row per drawn firm.")] = None,
    strata: StrataOption = None,
    psu: Annotated[str | None, typer.Option(help="Cluster (PSU) column, if any.")] = None,
    fpc: Annotated[str | None, typer.Option(
        help="Column with the stratum's population size (default: population).")] = None,
    link: Annotated[str, typer.Option(
        help="Column shared by the draw and the responses.")] = "response_id",
    classes: StrataOption = None,
    margins: Annotated[Path | None, typer.Option(
        metavar="MARGINS.csv", help="Rake to these margins (variable,category,"
                                    "population).")] = None,
    trim: Annotated[float | None, typer.Option(
        help="Cap weights at this many times the median.")] = None,
    show: Annotated[bool, typer.Option("--show", help="Print the study's design.")] = False,
) -> None:
    """Record how the study's firms were drawn, and weight them; or show it (--show).

    Respondents are the drawn firms whose LINK value is among the responses. Weights:
    the design weight, adjusted for nonresponse within the strata (or --classes), then
    raked to --margins and trimmed (--trim), each step a column of the study's
    design/draw.csv. Analyses of a study with a design are design-based.

    Example: **dmsurvey design my-study --frame draw.csv --strata industry,size_class
    --link firm_id**

    Example: **dmsurvey design my-study --show**
    """
    from rich.console import Console

    from dmsurvey.cli._common import fail
    from dmsurvey.cli.analysis import _rich_table
    from dmsurvey.sampling.record import design_overview, load_design, record_design

    console = Console()
    if frame is not None:
        import pandas as pd

        from dmsurvey.analysis.weights import read_margins
        from dmsurvey.sampling.planning import read_frame

        table = read_frame(frame)
        for column in table.columns:
            converted = pd.to_numeric(table[column], errors="coerce")
            if converted.notna().sum() == (table[column] != "").sum() and len(table):
                table[column] = converted
        fpc = fpc or ("population" if "population" in table.columns else None)
        record_design(study, table, strata=tuple(_columns(strata) or ["stratum"]),
                      psu=psu, fpc=fpc, link=link, classes=tuple(_columns(classes)),
                      margins=read_margins(margins) if margins else None,
                      trim_upper=trim, source=str(frame))
        show = True
    recorded = load_design(study)
    if recorded is None:
        raise fail(f"{study} has no design: its analyses are unweighted. Record one with "
                   "dmsurvey design STUDY --frame DRAW.csv --strata ...")
    if show:
        overview = design_overview(*recorded)
        console.print(_rich_table(overview["strata"], "Design: strata"))
        console.print(_rich_table(overview["weights"], "Weights"))
