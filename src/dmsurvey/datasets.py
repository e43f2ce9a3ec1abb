"""Scoring and shares for response sets larger than memory, or spread over a Dask cluster.

A national programme's responses live in Parquet files (one file or a folder of parts).
Both engines use the same `score` and `shares` functions as a 99-firm study:

- `engine="pandas"` reads the dataset in record batches, so memory holds one batch at a
  time, and writes scores batch by batch;
- `engine="dask"` runs the same functions per partition on a Dask cluster: a local one by
  default, or the scheduler at `scheduler=` (``tcp://host:8786``).

Only the columns a computation needs are read. Shares add up exactly across batches
because a share's `count` and `n` are sums over firms; the interval is computed once, at
the end, from the totals.

    >>> score_dataset("responses/", questionnaire, "scores.parquet")
    >>> shares_dataset("responses/", "tech_used", questionnaire, engine="dask")
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pandas as pd

from dmsurvey.errors import AnalysisError, DataError, Problem
from dmsurvey.questionnaire.model import Questionnaire

ENGINES = ("pandas", "dask")
DEFAULT_BATCH_ROWS = 250_000


def is_parquet_dataset(source: str | Path) -> bool:
    """True for a Parquet file, or a folder of Parquet parts that is not a study folder."""
    path = Path(source)
    if path.is_dir():
        return not (path / "study.json").exists() and any(path.glob("*.parquet"))
    return path.suffix.lower() in (".parquet", ".pq")


def score_dataset(
    source: str | Path,
    questionnaire: Questionnaire,
    output: str | Path,
    *,
    engine: str = "pandas",
    scheduler: str | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Score every response in the Parquet dataset `source` into `output` (.parquet or
    .csv); the number of firms scored.

    With the dask engine a `.parquet` output is a folder of parts, as Dask writes it.
    `on_batch(rows)` is called after each batch the pandas engine scores. The output
    appears only when complete: it is written under a temporary name and renamed.
    """
    from dmsurvey.analysis.scoring import for_csv, score, score_meta, scoring_columns

    _check_engine(engine)
    output = Path(output)
    if output.suffix.lower() not in (".parquet", ".csv"):
        raise AnalysisError(f"{output}: scores are written as .csv or .parquet")
    columns = ["response_id", *scoring_columns(questionnaire)]
    _open(source, columns)
    if engine == "dask":
        with _dask_client(scheduler):
            import dask.dataframe as dd

            frame = dd.read_parquet(str(source), columns=columns)
            scores = frame.map_partitions(score, questionnaire, meta=score_meta(questionnaire))
            if output.suffix.lower() == ".csv":
                scores.map_partitions(for_csv, meta=scores._meta).to_csv(
                    str(output), single_file=True, index=False
                )
            else:
                scores.to_parquet(str(output), write_index=False)
            return int(frame.shape[0].compute())

    temporary = output.with_name(output.name + ".partial")
    scored = 0
    with _ScoreWriter(temporary) as writer:
        for batch in _batches(_open(source, columns), columns, batch_rows):
            writer.write(score(batch, questionnaire))
            scored += len(batch)
            if on_batch:
                on_batch(len(batch))
        if scored == 0:
            writer.write(score_meta(questionnaire))
    temporary.replace(output)
    return scored


class _ScoreWriter:
    """Appends score batches to one Parquet or CSV file."""

    def __init__(self, path: Path):
        self.path = path
        self.parquet = path.name.removesuffix(".partial").lower().endswith(".parquet")
        self.writer = None
        self.rows = 0

    def write(self, scores: pd.DataFrame) -> None:
        if self.parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(scores, preserve_index=False)
            if self.writer is None:
                self.writer = pq.ParquetWriter(self.path, table.schema)
            self.writer.write_table(table)
        else:
            from dmsurvey.analysis.scoring import for_csv

            for_csv(scores).to_csv(self.path, mode="a" if self.rows else "w",
                                   header=not self.rows, index=False)
        self.rows += len(scores)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.writer is not None:
            self.writer.close()
        if exc_info[0] is not None:
            self.path.unlink(missing_ok=True)


def shares_dataset(
    source: str | Path,
    question: str,
    questionnaire: Questionnaire,
    *,
    by: str | Sequence[str] | None = None,
    engine: str = "pandas",
    scheduler: str | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    language: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """`shares` of `question` over a Parquet dataset: the same table as for a frame."""
    from dmsurvey.analysis.shares import shares

    _check_engine(engine)
    group_columns = [by] if isinstance(by, str) else list(by or [])
    columns = list(dict.fromkeys([question, *group_columns]))
    dataset = _open(source, columns)

    def partial(frame: pd.DataFrame) -> pd.DataFrame:
        return shares(frame, question, questionnaire=questionnaire, by=by, language=language)

    if engine == "dask":
        with _dask_client(scheduler):
            import dask.dataframe as dd

            frame = dd.read_parquet(str(source), columns=columns)
            meta = partial(frame._meta)
            parts = frame.map_partitions(partial, meta=meta).compute()
    else:
        parts = pd.concat([partial(batch) for batch in _batches(dataset, columns, batch_rows)])
    return _combine_shares(parts, group_columns, confidence)


def _combine_shares(
    parts: pd.DataFrame, group_columns: list[str], confidence: float
) -> pd.DataFrame:
    """Add counts and bases over batches, then compute each share and interval once."""
    from dmsurvey.analysis.shares import SHARE_COLUMNS, wilson_interval

    keys = [*group_columns, "question", "item", "label"]
    totals = parts.groupby(keys, sort=False, observed=True, dropna=False)[["count", "n"]].sum()
    totals = totals.reset_index()
    for column in group_columns:
        # Engines disagree on the missing marker of string columns; settle on pandas' own.
        totals[column] = totals[column].astype("str")
    totals["share"] = totals["count"] / totals["n"].where(totals["n"] > 0)
    totals["ci_low"], totals["ci_high"] = wilson_interval(
        totals["count"].to_numpy(), totals["n"].to_numpy(), confidence
    )
    return totals[[*group_columns, *SHARE_COLUMNS]].reset_index(drop=True)


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise AnalysisError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


def _open(source: str | Path, columns: list[str]):
    """The Parquet dataset at `source`, checked to hold every column needed."""
    import pyarrow.dataset as ds

    path = Path(source)
    if not path.exists():
        raise DataError(f"{path}: no such file or folder (expected a Parquet file or folder)")
    try:
        dataset = ds.dataset(str(path), format="parquet")
    except Exception as error:  # pyarrow raises several types for unreadable files
        raise DataError(f"{path}: not a readable Parquet dataset ({error})") from None
    missing = [column for column in columns if column not in dataset.schema.names]
    if missing:
        raise DataError(
            f"{path}: the dataset lacks columns this computation needs",
            [Problem("missing column", file=str(path), column=column) for column in missing],
        )
    return dataset


def _batches(dataset, columns: list[str], batch_rows: int) -> Iterator[pd.DataFrame]:
    for batch in dataset.to_batches(columns=columns, batch_size=batch_rows):
        if batch.num_rows:
            yield batch.to_pandas()


@contextlib.contextmanager
def _dask_client(scheduler: str | None):
    """A Dask client on `scheduler`, or on a local cluster that lives for this call."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise AnalysisError(
            "the dask engine needs Dask: pip install 'dmsurvey[dask]'"
        ) from None
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        as cluster,
        Client(cluster) as client,
    ):
        yield client


# ---------------------------------------------------------------------------------------------
# Any source: a study folder, a response file, or a Parquet dataset


def score_file(
    source: str | Path,
    target: str | Path,
    questionnaire: str | Path | Questionnaire | None = None,
    *,
    engine: str = "pandas",
    scheduler: str | None = None,
    batch_rows: int = 250_000,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Score a study folder or response file into `target` (.csv or .parquet); the number
    of firms scored.

    A Parquet file or folder of Parquet parts is scored by `dmsurvey.datasets.score_dataset`:
    in batches of `batch_rows` rows (only the columns the index needs), so memory stays flat
    however many firms it holds, or on a Dask cluster with `engine="dask"`. `on_batch(rows)`
    is called after each batch.
    """
    from dmsurvey.analysis._answers import require_responses
    from dmsurvey.analysis.inputs import load_responses, questionnaire_model
    from dmsurvey.analysis.scoring import score

    source, target = Path(source), Path(target)
    if target.suffix.lower() not in (".csv", ".parquet"):
        raise AnalysisError(f"{target}: scores are written as .csv or .parquet")
    if is_parquet_dataset(source):
        return score_dataset(
            source, questionnaire_model(questionnaire), target, engine=engine,
            scheduler=scheduler, batch_rows=batch_rows, on_batch=on_batch,
        )
    responses, model = load_responses(source, questionnaire)
    require_responses(responses)
    scores = score(responses, model)
    _write_scores(scores, target)
    if on_batch:
        on_batch(len(scores))
    return len(scores)


def _write_scores(scores: pd.DataFrame, target: Path) -> None:
    from dmsurvey.analysis.scoring import for_csv

    if target.suffix.lower() == ".parquet":
        scores.to_parquet(target, index=False)
    else:
        for_csv(scores).to_csv(target, index=False)


def shares_of_source(
    source: str | Path,
    question: str,
    questionnaire: str | Path | Questionnaire | None = None,
    *,
    by: str | Sequence[str] | None = None,
    language: str | None = None,
    engine: str = "pandas",
    scheduler: str | None = None,
) -> pd.DataFrame:
    """`shares` of a study folder, a response file, or a Parquet dataset of any size."""
    return shares_with_view(source, question, questionnaire, by=by, language=language,
                            engine=engine, scheduler=scheduler)[0]


def shares_with_view(
    source: str | Path,
    question: str,
    questionnaire: str | Path | Questionnaire | None = None,
    *,
    by: str | Sequence[str] | None = None,
    language: str | None = None,
    engine: str = "pandas",
    scheduler: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """`shares_of_source`, its `share_view` for a terminal and the number of firms."""
    from dmsurvey.analysis._answers import require_responses
    from dmsurvey.analysis.inputs import load_responses, questionnaire_model
    from dmsurvey.analysis.shares import share_view, shares, with_derived_groups

    if is_parquet_dataset(source):
        import pyarrow.dataset

        model = questionnaire_model(questionnaire)
        table = shares_dataset(source, question, model, by=by, language=language,
                               engine=engine, scheduler=scheduler)
        firms = pyarrow.dataset.dataset(str(source), format="parquet").count_rows()
    else:
        from dmsurvey.analysis.outputs import study_design

        responses, model = load_responses(source, questionnaire)
        require_responses(responses)
        if model.repeat_of(question) is not None:
            return _repeat_shares_with_view(source, question, model, responses, by=by,
                                            language=language)
        responses = with_derived_groups(responses, model, by, language)
        table = shares(responses, question, questionnaire=model, by=by, language=language,
                       design=study_design(source, responses))
        firms = len(responses)
    return table, share_view(table, questionnaire=model, language=language), firms


def _repeat_shares_with_view(source, question: str, model, responses: pd.DataFrame, *, by,
                             language) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """`shares_with_view` of a repeat section's question, over its instances; the table's
    `attrs["over"]` says over how many instances of how many responses."""
    from dmsurvey.analysis.shares import (
        instances_line,
        repeat_shares,
        share_view,
        with_derived_groups,
    )
    from dmsurvey.store.instances import instance_frames, repeat_questionnaire
    from dmsurvey.store.study import open_study

    if not Path(source).is_dir():
        raise AnalysisError(f"{question} is asked in a repeat section, whose instances a "
                            "study keeps: give the study folder")
    responses = with_derived_groups(responses, model, by, language)
    section = model.repeat_of(question)
    instances = instance_frames(open_study(source), responses["response_id"].tolist())[
        section.id]
    table = repeat_shares(instances, question, questionnaire=model, responses=responses, by=by,
                          language=language)
    table.attrs["over"] = instances_line(instances, model, question, language)
    view = share_view(table, questionnaire=repeat_questionnaire(model, section),
                      language=language)
    return table, view, len(instances)
