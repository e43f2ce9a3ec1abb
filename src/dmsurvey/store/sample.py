"""The sample study: a reconstruction of the 2020 Shanghai survey of 99 SMEs.

The firm-level data behind Xi, Hu and Xu (2020), "Are China's SMEs Lagging Behind the
Digital Transition?", were never published; only the figures in the paper's text are. This
module rebuilds a data set of 99 fictitious firms that reproduces every one of those figures
when run through dmsurvey, so the demo, the notebooks and the tests have a realistic study to
work on. It is not the survey's data: firm names, people and every single answer are made up.

How it is built (run ``python -m dmsurvey.store.sample`` to rewrite the bundled CSV):

* Every published count is written down in the tables below and dealt out exactly (a shuffled
  deck, or the top-N firms of a ranking), so no figure depends on luck in the random draws.
  The random generator (seeded, so the file is reproducible byte for byte) only decides
  *which* firms get which answer.
* Firms differ in size and in a latent "digital affinity" (higher in software and
  telecommunications, a little higher in bigger firms). Answers that go together in real
  surveys are dealt by ranking firms on these latents plus noise: AI users are mostly big-data
  users, data-service buyers are mostly big-data users, young firms are small, manufacturers
  lead in digital R&D, and so on.
* Sizes: employees are skewed (85 firms under 50); revenue follows employees with an
  industry-specific revenue per employee (11 firms at 2,000 万元 or more), and total assets
  follow revenue. No firm reports zero revenue or assets.
* The size gradient: the share of procurement done online is dealt by ranking firms on their
  size plus noise, so the larger the firm the likelier it buys more than half online, as the
  paper found. The share of sales done online depends on the industry and noise only, with
  every linear trace of size removed, as the paper found no relation between size and online
  sales. Firms that sell online also lean towards buying online, marketing online and taking
  payments through merchant services, so the online-trade answers hang together.
* Item non-response: as in the paper's bases of 98, one firm left the internet-finance share
  blank and another the importance of digitalisation after COVID-19 (`ITEM_NONRESPONSE`);
  both questions are required, so the interview would not allow it, but paper forms do.
* Internet finance: one propensity (a little higher in digital firms) ranks the firms for the
  share of financing raised online, the number of channels used and the interest in SME
  financing platforms, so borrowers tend to use more channels and care more about such
  platforms, and firms that never borrowed online care less.
* Answers follow the questionnaire's skip logic (sub-sector and smart manufacturing only for
  manufacturers, spending only after a "yes", and so on).
* Respondents' names are surname and title only and telephone numbers are masked, as in a
  published microdata file.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from dmsurvey.store.study import Study

QUESTIONNAIRE = "sme-digital-2020"
SEED = 20200715
N_FIRMS = 99
# Required questions one firm each left blank, as the paper's bases of 98 show, and the answer
# the firm blanked would have given.
ITEM_NONRESPONSE = (("internet_finance_share", "none"), ("covid_digital_importance", "yes"))
SAMPLE_CSV = Path(__file__).resolve().parent.parent / "data" / "sample_responses.csv"
METADATA_COLUMNS = ("response_id", "source", "enumerator", "submitted_at")
# Namespace of the response ids: uuid5(namespace, "<seed>/<firm number>") is stable per seed.
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://dmsurvey.invalid/sample/sme-digital-2020")

# Unified social credit codes (not published): most firms give one, a few leave it blank as
# in real fieldwork. 913101 12: enterprise, registered in the zone's district of Shanghai.
CREDIT_CODE_STREAM = 32100
CREDIT_CODE_BLANK = 7
CREDIT_CODE_PREFIX = "91310112"

# ---------------------------------------------------------------------------------------------
# The published figures, as exact counts over the 99 firms (or over the firms a question
# applies to). Each table lists codes in the order they are dealt when firms are ranked.

SOURCE = {"electronic": 40, "paper": 59}
OWNERSHIP = {"private": 83, "collective": 7, "state": 3, "foreign": 4, "other": 2}
RESPONDENT_ROLE = {"senior_manager": 30, "middle_manager": 39, "staff": 25, "other": 5}
INDUSTRY = {
    "manufacturing": 28,
    "software_it": 19,
    "info_comm": 6,
    "wholesale_retail": 10,
    "business_services": 12,
    "sci_tech_services": 14,
    "other": 10,
}
MFG_SUBSECTOR = {
    "pharma": 7,
    "general_equipment": 6,
    "special_equipment": 6,
    "electronic_equipment": 5,
    "other_mfg": 4,
}
EMPLOYEES_UNDER_50 = 85
REVENUE_UNDER_2000 = 88  # 万元, i.e. RMB 20 million
FOUNDED_2010_OR_LATER = 65

LARGE_DATA_TRANSFER_YES = 79
BANDWIDTH = {"satisfied": 78, "neutral": 17, "unsatisfied": 4}
CLOUD = {"no_plan": 26, "planning": 23, "migrated": 50}

# tech_used: AI users are mostly among the big-data users, so that 71 firms use neither.
TECH_USED = {"industrial_internet": 20, "5g": 14, "big_data": 25, "industrial_apps": 12}
AI_AMONG_BIG_DATA, AI_OUTSIDE_BIG_DATA = 12, 3
INDUSTRIAL_TECH = ("industrial_internet", "industrial_apps")  # likelier in manufacturing
BOUGHT_DATA_SERVICES, BOUGHT_AI_SERVICES = 10, 6

PROCUREMENT_SHARE = {"none": 22, "1_25": 36, "26_50": 24, "51_75": 10, "76_100": 7}
SALES_SHARE = {"none": 30, "1_25": 33, "26_50": 22, "51_75": 8, "76_100": 6}
ONLINE_MARKETING_YES = 82
NEW_MARKETING_MODELS_YES = 46  # of the 82 online marketers
MARKETING_SPEND_SHARE = {"none": 2, "1_25": 40, "26_50": 22, "51_75": 12, "76_100": 6}
DIGITAL_MARKETING_SERVICES_YES = 9
PAYMENT_MERCHANT_YES = 56
SUPPLY_CHAIN_SERVICES = {
    "employee_sharing": 34,
    "protective_materials": 38,
    "sales_logistics_sharing": 32,
    "supplier_matching": 25,
    "production_line_config": 12,
    "mold_sharing": 8,
}
MANUFACTURING_HEAVY_SERVICES = ("supplier_matching", "production_line_config", "mold_sharing")

# Of the 28 manufacturers.
SMART_MFG = {
    "equipment_networked": 5,
    "smart_lines": 4,
    "smart_workshops": 3,
    "smart_factories": 2,
    "cnc_key_processes": 8,
    "process_optimization": 9,
    "modular_equipment": 8,
}
# Digital R&D: (manufacturers, other firms); manufacturers lead on every item.
RD_DIGITAL = {
    "open_rd_platform": (5, 11),
    "vr_3d_design": (11, 18),
    "digital_model_simulation": (12, 18),
    "cax": (18, 26),
}

INTERNET_FINANCE_SHARE = {"none": 64, "1_25": 29, "26_50": 5, "51_75": 1, "76_100": 0}
# Every internet borrower names one main channel, dealt out at random.
FINANCE_MAIN_CHANNEL = {
    "internet_bank": 13,
    "supply_chain_finance": 12,
    "online_lending_platform": 10,
}
# How many channels each internet borrower names (not published); the keenest name more.
FINANCE_CHANNELS_USED = {"1": 24, "2": 8, "3": 3}
FIN_PLATFORM_INTEREST = {"none": 10, "average": 59, "high": 30}

COVID_CUSTOMER_COMM = {"not_overcome": 7, "overcome": 34, "no_barrier": 58}
COVID_REMOTE_WORK = {"not_overcome": 17, "overcome": 37, "no_barrier": 45}
COVID_DIGITAL_TOOLS = {
    "remote_office": 71,
    "video_conferencing": 64,
    "live_commerce": 12,
    "online_exhibitions": 18,
    "e_signature": 27,
}
COVID_DIGITAL_IMPORTANCE = {"no": 7, "yes": 92}

BIGGEST_OBSTACLE = {
    "provider_fees": 35,
    "lack_funds": 30,
    "no_urgency": 15,
    "lack_skills": 11,
    "no_gov_support": 5,
    "other": 3,
}
POLICY_SUPPORT = {"tax": 33, "finance": 27, "subsidy": 13, "other": 4}
DIGITAL_HELPS = {"no": 3, "yes": 96}
SELF_MATURITY = {"1": 22, "2": 38, "3": 30, "4": 8, "5": 1}

# Latent digital affinity by industry, and revenue per employee (万元) by industry.
DIGITAL_AFFINITY = {
    "manufacturing": 0.0,
    "software_it": 1.0,
    "info_comm": 0.8,
    "wholesale_retail": 0.1,
    "business_services": -0.2,
    "sci_tech_services": 0.3,
    "other": -0.4,
}
REVENUE_PER_EMPLOYEE = {
    "manufacturing": 45,
    "software_it": 30,
    "info_comm": 35,
    "wholesale_retail": 80,
    "business_services": 20,
    "sci_tech_services": 25,
    "other": 22,
}
ONLINE_SALES_AFFINITY = {"wholesale_retail": 1.2, "software_it": 0.4, "info_comm": 0.3}
IT_STAFF_RATE = {"software_it": 0.35, "info_comm": 0.25, "sci_tech_services": 0.08}

ENUMERATORS = ("张敏", "王磊", "陈静", "刘洋")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾"
NAME_SYLLABLES = "瑞丰华鑫恒泰博睿德康信宏达思源智凯捷嘉联创晟亿辰汇澜晨峰启拓致远卓越弘盛"
TRADE_WORDS = {
    "pharma": ("生物医药科技", "医药科技", "药业"),
    "general_equipment": ("机械设备", "精密机械", "流体设备"),
    "special_equipment": ("自动化设备", "专用设备", "智能装备"),
    "electronic_equipment": ("电子科技", "微电子", "光电科技"),
    "other_mfg": ("新材料", "包装制品", "塑胶制品"),
    "software_it": ("信息科技", "软件科技", "网络科技", "数据科技"),
    "info_comm": ("通信技术", "网络通信", "信息通信"),
    "wholesale_retail": ("贸易", "商贸", "供应链管理", "国际贸易"),
    "business_services": ("企业管理咨询", "商务咨询", "人力资源"),
    "sci_tech_services": ("检测技术", "环境科技", "工程技术"),
    "other": ("文化传播", "物流", "建筑工程"),
}
COMMENTS = (
    "希望政府加大对中小企业数字化改造的补贴力度。",
    "希望服务商推出适合小企业、价格较低的标准化产品。",
    "补贴申请流程较复杂，建议简化。",
    "希望园区组织数字化人才培训。",
    "融资难仍然是我们面临的主要问题。",
    "希望有更多线上对接采购商的渠道。",
    "建议对企业上云给予费用减免。",
)


# ---------------------------------------------------------------------------------------------
# Dealing exact counts


def credit_codes(count: int, rng: np.random.Generator, *, blank: int = 0) -> np.ndarray:
    """`count` distinct, valid unified social credit codes of zone firms; `blank` left empty.

    Enterprise codes (registration authority 9, category 1) of the zone's district, with a
    made-up 9-character organisation code and the check character of GB 32100-2015.
    """
    from dmsurvey.questionnaire.formats import CREDIT_CODE_CHARACTERS, credit_code_check_character

    alphabet = np.array(list(CREDIT_CODE_CHARACTERS))
    codes: list[str | None] = []
    while len(codes) < count:
        first_17 = CREDIT_CODE_PREFIX + "MA1" + "".join(rng.choice(alphabet, 6))
        code = first_17 + credit_code_check_character(first_17)
        if code not in codes:
            codes.append(code)
    for firm in rng.choice(count, blank, replace=False):
        codes[firm] = None
    return np.array(codes, dtype=object)


def _deck(counts: Mapping[str, int], size: int) -> np.ndarray:
    """The codes of `counts`, each repeated as often as it says; the counts must cover `size`."""
    total = sum(counts.values())
    if total != size:
        raise ValueError(f"counts {dict(counts)} add up to {total}, not {size}")
    return np.repeat(np.array(list(counts), dtype=object), list(counts.values()))


def _shuffled(counts: Mapping[str, int], rng: np.random.Generator) -> np.ndarray:
    """Exactly these counts, in random order over the firms."""
    return rng.permutation(_deck(counts, N_FIRMS))


def _ranked(counts: Mapping[str, int], latent: np.ndarray, among: np.ndarray | None = None):
    """Exactly these counts among the firms in `among`, the first code to the lowest `latent`.

    Firms outside `among` get None (the question does not apply to them).
    """
    among = np.ones(len(latent), dtype=bool) if among is None else among
    values = np.full(len(latent), None, dtype=object)
    members = np.flatnonzero(among)
    order = members[np.argsort(latent[members], kind="stable")]
    values[order] = _deck(counts, len(members))
    return values


def _pick(count: int, weights: np.ndarray, rng: np.random.Generator, among=None) -> np.ndarray:
    """A mask of exactly `count` firms from `among`, drawn with probability ~ `weights`."""
    eligible = np.ones(len(weights), dtype=bool) if among is None else among
    probabilities = np.where(eligible, weights, 0.0)
    chosen = rng.choice(
        len(weights), size=count, replace=False, p=probabilities / probabilities.sum()
    )
    mask = np.zeros(len(weights), dtype=bool)
    mask[chosen] = True
    return mask


def _by_rank(values: np.ndarray, latent: np.ndarray) -> np.ndarray:
    """Give the k-th smallest of `values` to the firm with the k-th smallest `latent`."""
    result = np.empty(len(latent), dtype=float)
    result[np.argsort(latent, kind="stable")] = np.sort(values)
    return result


def _standardised(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / values.std()


def _multiselect(options: Mapping[str, np.ndarray], none_code: str | None = "none") -> np.ndarray:
    """Space-separated codes per firm from one mask per option (in choice order)."""
    answers = np.full(N_FIRMS, None, dtype=object)
    for firm in range(N_FIRMS):
        chosen = [code for code, mask in options.items() if mask[firm]]
        answers[firm] = " ".join(chosen) if chosen else none_code
    return answers


def _by_industry(table: Mapping[str, float], industry: np.ndarray, default: float) -> np.ndarray:
    return np.array([table.get(code, default) for code in industry], dtype=float)


# ---------------------------------------------------------------------------------------------
# The firms


def _money(values: np.ndarray) -> np.ndarray:
    """Amounts in 万元 as respondents write them: one decimal under 100, whole numbers above."""
    return np.where(values < 100, np.round(values, 1), np.round(values))


def _scaled_to_count_below(values: np.ndarray, threshold: float, below: int) -> np.ndarray:
    """Rescale so that exactly `below` values are under `threshold` (order is kept)."""
    ordered = np.sort(values)
    # Put the threshold midway (geometrically) between the last value under it and the next.
    return values * threshold / np.sqrt(ordered[below - 1] * ordered[below])


def _sizes(industry: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Employees, revenue and assets (2019) and the founding year, consistent with each other."""
    size_latent = 0.4 * (industry == "manufacturing") + rng.normal(0, 1, N_FIRMS)
    small = np.clip(np.round(rng.lognormal(np.log(12), 0.8, EMPLOYEES_UNDER_50)), 2, 49)
    large = np.clip(np.round(rng.lognormal(np.log(90), 0.5, N_FIRMS - EMPLOYEES_UNDER_50)), 50, 480)
    employees = _by_rank(np.concatenate([small, large]), size_latent).astype(int)

    per_employee = _by_industry(REVENUE_PER_EMPLOYEE, industry, 30)
    revenue = employees * per_employee * rng.lognormal(0, 0.55, N_FIRMS)
    revenue = _money(_scaled_to_count_below(revenue, 2000, REVENUE_UNDER_2000))
    assets = _money(revenue**0.95 * rng.lognormal(0, 0.5, N_FIRMS))

    # Young firms are small: the most recent founding years go to the smallest firms.
    recent = rng.integers(2010, 2020, FOUNDED_2010_OR_LATER)
    older = rng.integers(1993, 2010, N_FIRMS - FOUNDED_2010_OR_LATER)
    age_latent = _standardised(np.log(employees)) + rng.normal(0, 1, N_FIRMS)
    founded = _by_rank(-np.concatenate([recent, older]), age_latent)
    return {
        "employees_2019": employees,
        "revenue_2019": revenue,
        "assets_2019": assets,
        "founded_year": (-founded).astype(int),
    }


def _size_score(sizes: Mapping[str, np.ndarray]) -> np.ndarray:
    """Mean of the standardised logs of employees, revenue and assets."""
    logs = [np.log(sizes[key]) for key in ("employees_2019", "revenue_2019", "assets_2019")]
    return np.mean([_standardised(values) for values in logs], axis=0)


def _without_size(values: np.ndarray, sizes: Mapping[str, np.ndarray]) -> np.ndarray:
    """`values` with every linear trace of the three (log) size measures removed."""
    design = np.column_stack(
        [np.ones(N_FIRMS)]
        + [np.log(sizes[key]) for key in ("employees_2019", "revenue_2019", "assets_2019")]
    )
    coefficients, *_ = np.linalg.lstsq(design, values, rcond=None)
    return values - design @ coefficients


def _firm_names(industry, subsector, rng) -> np.ndarray:
    names: set[str] = set()
    result = np.empty(N_FIRMS, dtype=object)
    for firm in range(N_FIRMS):
        trade_words = TRADE_WORDS[subsector[firm] or industry[firm]]
        while True:
            brand = "".join(rng.choice(list(NAME_SYLLABLES), 2, replace=False))
            name = f"上海{brand}{rng.choice(trade_words)}有限公司"
            if name not in names:
                break
        names.add(name)
        result[firm] = name
    return result


def _respondents(rng) -> dict[str, np.ndarray]:
    surnames = rng.choice(list(SURNAMES), N_FIRMS)
    titles = rng.choice(["先生", "女士"], N_FIRMS)
    phones = [
        f"1{rng.choice([3, 5, 8])}{rng.integers(0, 10)}****{rng.integers(0, 10_000):04d}"
        for _ in range(N_FIRMS)
    ]
    return {
        "respondent_name": np.array(
            [s + t for s, t in zip(surnames, titles, strict=True)], dtype=object
        ),
        "respondent_phone": np.array(phones, dtype=object),
    }


def _metadata(seed: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    source = _shuffled(SOURCE, rng)
    # Paper forms were collected on site in working hours; online forms came in any day.
    day = np.where(source == "paper", rng.integers(6, 25, N_FIRMS), rng.integers(1, 32, N_FIRMS))
    minute = np.where(
        source == "paper",
        rng.integers(9 * 60, 17 * 60 + 30, N_FIRMS),
        rng.integers(8 * 60, 22 * 60, N_FIRMS),
    )
    submitted = np.array(
        [
            f"2020-07-{d:02d}T{m // 60:02d}:{m % 60:02d}:00+08:00"
            for d, m in zip(day, minute, strict=True)
        ],
        dtype=object,
    )
    return {
        "response_id": np.array(
            [str(uuid.uuid5(_ID_NAMESPACE, f"{seed}/{firm}")) for firm in range(N_FIRMS)],
            dtype=object,
        ),
        "source": source,
        "enumerator": rng.choice(np.array(ENUMERATORS, dtype=object), N_FIRMS),
        "submitted_at": submitted,
    }


def _answers(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every question's answer for every firm (None where the question was skipped)."""
    answers: dict[str, np.ndarray] = {}
    industry = _shuffled(INDUSTRY, rng)
    manufacturing = industry == "manufacturing"
    subsector = np.full(N_FIRMS, None, dtype=object)
    subsector[manufacturing] = rng.permutation(_deck(MFG_SUBSECTOR, int(manufacturing.sum())))
    sizes = _sizes(industry, rng)
    size = _size_score(sizes)
    affinity = (
        _by_industry(DIGITAL_AFFINITY, industry, 0) + 0.3 * size + rng.normal(0, 0.8, N_FIRMS)
    )
    likes_digital = np.exp(affinity)

    answers["firm_name"] = _firm_names(industry, subsector, rng)
    answers["registered_shanghai"] = np.full(N_FIRMS, "yes", dtype=object)
    answers["main_business_shanghai"] = np.full(N_FIRMS, "yes", dtype=object)
    answers["ownership"] = _shuffled(OWNERSHIP, rng)
    answers["industry"] = industry
    answers["mfg_subsector"] = subsector
    answers |= sizes
    answers["respondent_role"] = _shuffled(RESPONDENT_ROLE, rng)
    answers |= _respondents(rng)

    # B. IT infrastructure
    answers["large_data_transfer"] = np.where(
        _pick(LARGE_DATA_TRANSFER_YES, likes_digital, rng), "yes", "no"
    ).astype(object)
    answers["bandwidth_satisfied"] = _shuffled(BANDWIDTH, rng)
    answers["cloud_status"] = _ranked(CLOUD, affinity + rng.normal(0, 0.7, N_FIRMS))
    it_rate = _by_industry(IT_STAFF_RATE, industry, 0.04)
    answers["it_staff_2019"] = rng.binomial(sizes["employees_2019"], it_rate)

    # C. Technologies and services
    tech = {
        code: _pick(
            count,
            likes_digital * np.where(manufacturing & (code in INDUSTRIAL_TECH), 2.0, 1.0),
            rng,
        )
        for code, count in TECH_USED.items()
    }
    big_data = tech["big_data"]
    ai = _pick(AI_AMONG_BIG_DATA, likes_digital, rng, among=big_data) | _pick(
        AI_OUTSIDE_BIG_DATA, likes_digital, rng, among=~big_data
    )
    answers["tech_used"] = _multiselect(
        {
            "industrial_internet": tech["industrial_internet"],
            "5g": tech["5g"],
            "big_data": big_data,
            "ai": ai,
            "industrial_apps": tech["industrial_apps"],
        }
    )
    for question, count, users in (
        ("data_services", BOUGHT_DATA_SERVICES, big_data),
        ("ai_services", BOUGHT_AI_SERVICES, ai),
    ):
        bought = _pick(count, likes_digital * np.where(users, 8.0, 1.0), rng)
        answers[f"bought_{question}"] = np.where(bought, "yes", "no").astype(object)
        answers[f"{question}_spend"] = np.where(bought, "lt_100k", None).astype(object)

    # D. Online procurement, sales and marketing
    procurement_noise = rng.normal(0, 0.75, N_FIRMS)
    sales_latent = _by_industry(ONLINE_SALES_AFFINITY, industry, 0) + rng.normal(0, 1, N_FIRMS)
    sales_latent = _without_size(sales_latent, sizes)
    # Firms that sell online also buy online; sales_latent carries no size, so procurement's
    # size gradient is its own.
    answers["online_procurement_share"] = _ranked(
        PROCUREMENT_SHARE, size + 0.5 * sales_latent + procurement_noise
    )
    answers["online_sales_share"] = _ranked(SALES_SHARE, sales_latent)
    marketing = _pick(ONLINE_MARKETING_YES, np.exp(0.5 * affinity + 0.5 * sales_latent), rng)
    answers["online_marketing"] = np.where(marketing, "yes", "no").astype(object)
    new_models = _pick(NEW_MARKETING_MODELS_YES, np.exp(sales_latent), rng, among=marketing)
    answers["new_marketing_models"] = np.where(marketing, np.where(new_models, "yes", "no"), None)
    answers["online_marketing_spend_share"] = _ranked(
        MARKETING_SPEND_SHARE, sales_latent + rng.normal(0, 0.8, N_FIRMS), among=marketing
    )
    marketing_services = _pick(DIGITAL_MARKETING_SERVICES_YES, likes_digital, rng, among=marketing)
    answers["digital_marketing_services"] = np.where(marketing_services, "yes", "no").astype(object)
    merchant = _pick(PAYMENT_MERCHANT_YES, np.exp(sales_latent), rng)
    answers["payment_merchant_services"] = np.where(merchant, "yes", "no").astype(object)
    answers["supply_chain_platform_services"] = _multiselect(
        {
            code: _pick(
                count,
                np.where(manufacturing & (code in MANUFACTURING_HEAVY_SERVICES), 4.0, 1.0),
                rng,
            )
            for code, count in SUPPLY_CHAIN_SERVICES.items()
        }
    )

    # E. Smart manufacturing (manufacturers only) and digital R&D
    smart = _multiselect(
        {
            code: _pick(count, np.exp(size + affinity), rng, among=manufacturing)
            for code, count in SMART_MFG.items()
        }
    )
    answers["smart_mfg"] = np.where(manufacturing, smart, None)
    answers["rd_digital"] = _multiselect(
        {
            code: _pick(in_mfg, likes_digital, rng, among=manufacturing)
            | _pick(elsewhere, likes_digital, rng, among=~manufacturing)
            for code, (in_mfg, elsewhere) in RD_DIGITAL.items()
        }
    )

    # F. Internet finance. One propensity drives all three answers, as in real surveys: firms
    # that raise more money online use more channels and care more about financing platforms.
    finance_latent = 0.5 * affinity + rng.normal(0, 1, N_FIRMS)
    finance_share = _ranked(INTERNET_FINANCE_SHARE, finance_latent)
    answers["internet_finance_share"] = finance_share
    answers["internet_finance_channels"] = _finance_channels(
        finance_share != "none", finance_latent + rng.normal(0, 0.5, N_FIRMS), rng
    )
    answers["fin_platform_interest"] = _ranked(
        FIN_PLATFORM_INTEREST, finance_latent + rng.normal(0, 0.6, N_FIRMS)
    )

    # G. COVID-19
    answers["covid_customer_comm"] = _ranked(
        COVID_CUSTOMER_COMM, affinity + rng.normal(0, 1, N_FIRMS)
    )
    answers["covid_remote_work"] = _ranked(COVID_REMOTE_WORK, affinity + rng.normal(0, 1, N_FIRMS))
    answers["covid_digital_tools"] = _multiselect(
        {code: _pick(count, likes_digital, rng) for code, count in COVID_DIGITAL_TOOLS.items()}
    )
    answers["covid_digital_importance"] = _ranked(
        COVID_DIGITAL_IMPORTANCE, affinity + rng.normal(0, 1, N_FIRMS)
    )

    # H. Obstacles, support, outlook
    answers["biggest_obstacle"] = _shuffled(BIGGEST_OBSTACLE, rng)
    answers["policy_support"] = _multiselect(
        {code: _pick(count, np.exp(0.5 * size), rng) for code, count in POLICY_SUPPORT.items()}
    )
    answers["digital_helps"] = _ranked(DIGITAL_HELPS, affinity + rng.normal(0, 0.5, N_FIRMS))
    answers["self_maturity"] = _ranked(SELF_MATURITY, affinity + rng.normal(0, 0.6, N_FIRMS))
    comments = np.full(N_FIRMS, None, dtype=object)
    commenting = rng.choice(N_FIRMS, len(COMMENTS) + 5, replace=False)
    comments[commenting] = rng.choice(np.array(COMMENTS, dtype=object), len(commenting))
    answers["comments"] = comments
    return answers


def _finance_channels(
    borrowers: np.ndarray, breadth: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """One main channel per internet borrower; the borrowers highest on `breadth` use more."""
    chosen = {code: np.zeros(N_FIRMS, dtype=bool) for code in FINANCE_MAIN_CHANNEL}
    members = np.flatnonzero(borrowers)
    main = rng.permutation(_deck(FINANCE_MAIN_CHANNEL, len(members)))
    channels_used = _ranked(FINANCE_CHANNELS_USED, breadth, among=borrowers)
    for firm, code in zip(members, main, strict=True):
        others = [other for other in FINANCE_MAIN_CHANNEL if other != code]
        extra = rng.choice(others, int(channels_used[firm]) - 1, replace=False)
        for used in (code, *extra):
            chosen[used][firm] = True
    return np.where(borrowers, _multiselect(chosen, none_code=None), None)


# ---------------------------------------------------------------------------------------------
# Public API


def generate_sample(seed: int = SEED) -> pd.DataFrame:
    """The 99 reconstructed firms as a flat frame of codes (text; missing where skipped).

    Columns: `response_id, source, enumerator, submitted_at`, then every answerable question
    of the `sme-digital-2020` questionnaire in its order. Rows are in order of submission.
    """
    import pandas as pd

    from dmsurvey.questionnaire.loader import load_questionnaire

    questionnaire = load_questionnaire(QUESTIONNAIRE)
    rng = np.random.default_rng(seed)
    columns = _metadata(seed, rng)
    answers = _answers(rng)
    # Credit codes come from a stream of their own, so adding them changed no other answer.
    code_stream = np.random.default_rng([seed, CREDIT_CODE_STREAM])
    answers["credit_code"] = credit_codes(N_FIRMS, code_stream, blank=CREDIT_CODE_BLANK)
    unanswered = [q.id for q in questionnaire.answerable if q.id not in answers]
    if unanswered:
        raise ValueError(f"the sample has no answers for {', '.join(unanswered)}")
    columns |= {q.id: answers[q.id] for q in questionnaire.answerable}
    frame = pd.DataFrame(
        {
            name: pd.Series([_cell(value) for value in values], dtype="str")
            for name, values in columns.items()
        }
    )
    frame = frame.sort_values(["submitted_at", "response_id"], ignore_index=True)
    return _with_item_nonresponse(frame)


def _with_item_nonresponse(frame: pd.DataFrame) -> pd.DataFrame:
    """The paper's bases below 99: one firm left each of `ITEM_NONRESPONSE` blank.

    The firm is the last, in order of submission, whose answer was the commonest one (so
    every share the paper reports still holds), and another firm for each question; no
    other answer changes, and the random draws stay as they were."""
    taken: set[int] = set()
    for question, answer in ITEM_NONRESPONSE:
        firm = next(index for index in reversed(frame.index)
                    if frame.at[index, question] == answer and index not in taken)
        frame.loc[firm, question] = None
        taken.add(firm)
    return frame


def write_sample_csv(path: str | Path = SAMPLE_CSV, seed: int = SEED) -> Path:
    """Write the sample as UTF-8 CSV (codes; multi-selects space-separated) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    generate_sample(seed).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def read_sample_csv(path: str | Path = SAMPLE_CSV) -> pd.DataFrame:
    """The bundled sample as written: every cell text, empty cells missing."""
    import pandas as pd

    return pd.read_csv(path, dtype="str", keep_default_na=False, na_values=[""], encoding="utf-8")


def load_sample_responses() -> pd.DataFrame:
    """The sample firms typed as `Study.responses()` returns them (categoricals, numbers)."""
    from dmsurvey.questionnaire.loader import load_questionnaire
    from dmsurvey.store.frames import typed_responses

    return typed_responses(read_sample_csv(), load_questionnaire(QUESTIONNAIRE))


def sample_study(path: str | Path) -> Study:
    """Create a study folder at `path` holding the 99 sample firms, and return it."""
    from dmsurvey.store.study import init_study

    study = init_study(path, questionnaire=QUESTIONNAIRE)
    study.add_responses(read_sample_csv(), who="sample")
    return study


def _cell(value: object) -> str | None:
    """One CSV cell: codes as they are, whole numbers without a decimal point."""
    if value is None:
        return None
    if isinstance(value, float | np.floating):
        return str(int(value)) if float(value).is_integer() else f"{float(value):.1f}"
    return str(value)


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m dmsurvey.store.sample [OUTPUT.csv]`: rewrite the bundled sample (or OUTPUT)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    path = write_sample_csv(arguments[0] if arguments else SAMPLE_CSV)
    print(f"Wrote {N_FIRMS} sample firms to {path}")


if __name__ == "__main__":
    main()
