"""Firm size classes: the EU/OECD employee classes, China's 2017 statistical thresholds
by industry, and revenue (or asset) bands.

    >>> responses["size_class"] = size_class(responses)                  # micro ... large
    >>> responses["size_class_cn"] = size_class(responses, scheme="china")
    >>> responses["revenue_band"] = size_band(responses["revenue_2019"])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from dmsurvey.analysis._answers import codes, require_columns
from dmsurvey.errors import AnalysisError

SIZE_CLASSES = ("micro", "small", "medium", "large")

# EU Recommendation 2003/361 and the OECD's convention: lower bounds of small, medium and
# large in persons employed.
EU_EMPLOYEE_BOUNDS = (10, 50, 250)

# National Bureau of Statistics, 统计上大中小微型企业划分办法（2017）(国统字〔2017〕213号):
# lower bounds of small, medium and large per indicator. Employees in persons; revenue
# (营业收入) and assets (资产总额) in RMB 10,000 (万元), the unit of the questionnaire.
# Large, medium and small firms must reach the lower bound of every indicator listed
# for their industry, else they fall a class; a firm below a small bound is micro.
CHINA_2017_BOUNDS: Mapping[str, Mapping[str, tuple[float, float, float]]] = {
    "agriculture": {"revenue": (50, 500, 20000)},
    "industry": {"employees": (20, 300, 1000), "revenue": (300, 2000, 40000)},
    "construction": {"revenue": (300, 6000, 80000), "assets": (300, 5000, 80000)},
    "wholesale": {"employees": (5, 20, 200), "revenue": (1000, 5000, 40000)},
    "retail": {"employees": (10, 50, 300), "revenue": (100, 500, 20000)},
    "transport": {"employees": (20, 300, 1000), "revenue": (200, 3000, 30000)},
    "warehousing": {"employees": (20, 100, 200), "revenue": (100, 1000, 30000)},
    "postal": {"employees": (20, 300, 1000), "revenue": (100, 2000, 30000)},
    "accommodation": {"employees": (10, 100, 300), "revenue": (100, 2000, 10000)},
    "catering": {"employees": (10, 100, 300), "revenue": (100, 2000, 10000)},
    "information_transmission": {"employees": (10, 100, 2000), "revenue": (100, 1000, 100000)},
    "software_it_services": {"employees": (10, 100, 300), "revenue": (50, 1000, 10000)},
    "real_estate_development": {"revenue": (100, 1000, 200000), "assets": (2000, 5000, 10000)},
    "property_management": {"employees": (100, 300, 1000), "revenue": (500, 1000, 5000)},
    "leasing_business_services": {"employees": (10, 100, 300), "assets": (100, 8000, 120000)},
    "other": {"employees": (10, 100, 300)},
}

# The bundled questionnaire's industry codes -> the 2017 sectors. Wholesale and retail
# share one code there; the wholesale thresholds are used (pass `industry_sectors` to
# choose retail). Scientific and technical services have no row of their own in 2017
# and fall under "other industries not listed".
INDUSTRY_SECTORS = {
    "manufacturing": "industry",
    "software_it": "software_it_services",
    "info_comm": "information_transmission",
    "wholesale_retail": "wholesale",
    "business_services": "leasing_business_services",
    "sci_tech_services": "other",
    "other": "other",
}

# Revenue (or assets) bands in RMB 10,000: below 1 million, 1-5 million, 5-20 million
# (20 million is the paper's cut), 20-100 million, 100 million and more.
BAND_EDGES = (100, 500, 2000, 10000)


def size_class(
    data: pd.DataFrame,
    *,
    scheme: str = "eu",
    employees: str = "employees_2019",
    revenue: str = "revenue_2019",
    assets: str = "assets_2019",
    industry: str = "industry",
    industry_sectors: Mapping[str, str] | None = None,
) -> pd.Series:
    """Ordered size class (`micro`, `small`, `medium`, `large`) of every firm.

    `scheme="eu"` classes by employees only (<10, 10-49, 50-249, 250+). `scheme="china"`
    applies the 2017 statistical thresholds of each firm's industry (`industry_sectors`
    maps industry codes to keys of `CHINA_2017_BOUNDS`). Firms with a missing or negative
    indicator the scheme needs get no class (NaN).
    """
    if scheme == "eu":
        require_columns(data, [employees], "the size class")
        return _classify(_numbers(data[employees]), EU_EMPLOYEE_BOUNDS).rename("size_class")
    if scheme != "china":
        raise AnalysisError(f"unknown size scheme {scheme!r} (expected 'eu' or 'china')")
    require_columns(data, [employees, revenue, assets, industry], "the size class")
    sectors = {**INDUSTRY_SECTORS, **(industry_sectors or {})}
    unknown = set(sectors.values()) - set(CHINA_2017_BOUNDS)
    if unknown:
        raise AnalysisError(f"unknown sectors {sorted(unknown)} in industry_sectors "
                            f"(known: {', '.join(CHINA_2017_BOUNDS)})")
    measures = {"employees": _numbers(data[employees]), "revenue": _numbers(data[revenue]),
                "assets": _numbers(data[assets])}
    sector = codes(data[industry]).map(sectors)
    positions = pd.Series(np.nan, index=data.index)
    for name, bounds in CHINA_2017_BOUNDS.items():
        in_sector = (sector == name).to_numpy()
        if not in_sector.any():
            continue
        per_indicator = [
            pd.Series(_positions(measures[indicator], limits), index=data.index)
            for indicator, limits in bounds.items()
        ]
        # the class reached on every indicator, i.e. the lowest of them
        lowest = pd.concat(per_indicator, axis=1).min(axis=1, skipna=False)
        positions[in_sector] = lowest[in_sector]
    return _categorical(positions, "size_class")


def size_band(
    values: pd.Series, *, edges: Sequence[float] = BAND_EDGES, language: str = "en"
) -> pd.Series:
    """Ordered bands of a revenue or asset column (in 万元), labelled as `money` writes
    amounts: `RMB 5–20 million` in English, `500–2000万元` in Chinese.

    The first band is `<edge`, the last `≥edge`; missing or negative values get NaN.
    """
    numbers = _numbers(values)
    labels = [f"<{money(edges[0], language)}"]
    labels += [money(low, language, upper=high)
               for low, high in zip(edges[:-1], edges[1:], strict=True)]
    labels.append(f"≥{money(edges[-1], language)}")
    positions = _positions(numbers, edges)
    band = pd.Categorical.from_codes(
        np.where(np.isnan(positions), -1, positions).astype(int),
        categories=labels,
        ordered=True,
    )
    return pd.Series(band, index=values.index, name=f"{values.name or 'size'}_band")


def money(amount: float, language: str = "en", *, upper: float | None = None) -> str:
    """An amount in 万元 (RMB 10,000, the questionnaire's unit) as people read it: 512 is
    "RMB 5.12 million" in English and "512万元" in Chinese; with `upper`, the range
    "RMB 1–5 million" or "100–500万元"."""
    chinese = language.startswith("zh")

    def number(value: float) -> str:
        value = float(value) if chinese else float(value) / 100
        if value.is_integer():
            return f"{value:,.0f}"
        return f"{value:,.1f}" if chinese else f"{value:,.2f}"

    amount_text = number(amount) if upper is None else f"{number(amount)}–{number(upper)}"
    return f"{amount_text}万元" if chinese else f"RMB {amount_text} million"


def _numbers(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return numbers.where(numbers >= 0)


def _positions(numbers: pd.Series, bounds: Sequence[float]) -> np.ndarray:
    """How many of the ascending `bounds` each number reaches (NaN stays NaN)."""
    array = numbers.to_numpy(dtype=float)
    reached = np.searchsorted(np.asarray(bounds, dtype=float), array, side="right").astype(float)
    reached[np.isnan(array)] = np.nan
    return reached


def _classify(numbers: pd.Series, bounds: Sequence[float]) -> pd.Series:
    return _categorical(pd.Series(_positions(numbers, bounds), index=numbers.index), "size_class")


def _categorical(positions: pd.Series, name: str) -> pd.Series:
    codes_ = positions.fillna(-1).astype(int).to_numpy()
    return pd.Series(
        pd.Categorical.from_codes(codes_, categories=list(SIZE_CLASSES), ordered=True),
        index=positions.index,
        name=name,
    )
