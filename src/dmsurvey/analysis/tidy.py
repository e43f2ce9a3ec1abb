"""statsmodels results as tidy rows, and tidy tables as Markdown or LaTeX for papers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

ESTIMATE_COLUMNS = ["coef", "std_err", "p_value", "ci_low", "ci_high"]


def tidy_term(result, term: str, *, alpha: float = 0.05) -> dict[str, float]:
    """Estimate, standard error, p-value and confidence interval of one term of a fitted
    statsmodels model, as a dict keyed by `ESTIMATE_COLUMNS`."""
    names = list(getattr(result.model, "exog_names", None) or result.params.index)
    position = names.index(term)
    params = np.asarray(result.params, dtype=float)
    bse = np.asarray(result.bse, dtype=float)
    pvalues = np.asarray(result.pvalues, dtype=float)
    interval = np.asarray(result.conf_int(alpha=alpha), dtype=float)
    return dict(
        zip(
            ESTIMATE_COLUMNS,
            (params[position], bse[position], pvalues[position], interval[position, 0],
             interval[position, 1]),
            strict=True,
        )
    )


def empty_estimates() -> dict[str, float]:
    return dict.fromkeys(ESTIMATE_COLUMNS, math.nan)


def to_markdown(table: pd.DataFrame, *, digits: int = 3) -> str:
    """A GitHub-flavoured Markdown table; numbers rounded to `digits` significant places
    after the point, missing values left empty."""
    cells = _formatted(table, digits)
    header = "| " + " | ".join(map(str, table.columns)) + " |"
    rule = "|" + "|".join(
        "---:" if pd.api.types.is_numeric_dtype(table[column]) else "---"
        for column in table.columns
    ) + "|"
    body = ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join([header, rule, *body]) + "\n"


def to_latex(table: pd.DataFrame, *, digits: int = 3, caption: str | None = None) -> str:
    """A LaTeX `tabular` (booktabs rules) of the table, special characters escaped."""
    cells = _formatted(table, digits)
    align = "".join(
        "r" if pd.api.types.is_numeric_dtype(table[column]) else "l" for column in table.columns
    )
    lines = []
    if caption:
        lines += ["\\begin{table}[htbp]", "\\centering", f"\\caption{{{_escape(caption)}}}"]
    lines += [f"\\begin{{tabular}}{{{align}}}", "\\toprule",
              " & ".join(_escape(str(column)) for column in table.columns) + " \\\\",
              "\\midrule"]
    lines += [" & ".join(_escape(cell) for cell in row) + " \\\\" for row in cells]
    lines += ["\\bottomrule", "\\end{tabular}"]
    if caption:
        lines.append("\\end{table}")
    return "\n".join(lines) + "\n"


def _formatted(table: pd.DataFrame, digits: int) -> list[list[str]]:
    columns = []
    for column in table.columns:
        values = table[column]
        if pd.api.types.is_float_dtype(values.dtype):
            columns.append([_number(value, digits) for value in values])
        else:
            columns.append(["" if pd.isna(value) else str(value) for value in values])
    return [list(row) for row in zip(*columns, strict=True)] if columns else []


def _number(value: float, digits: int) -> str:
    if value is None or pd.isna(value):
        return ""
    if value != 0 and abs(value) < 10 ** (-digits):
        return f"{value:.{digits}e}"
    return f"{value:.{digits}f}"


_LATEX_SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
                  "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  "\\": r"\textbackslash{}"}


def _escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(character, character) for character in text)
