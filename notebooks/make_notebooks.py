"""Write the numbered tutorial notebooks (without outputs) from the cells below.

    python notebooks/make_notebooks.py

Edit the cells here, not the .ipynb files, so the notebooks stay reviewable as code; the
test suite runs every notebook against the bundled sample.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

QUICKSTART = [
    new_markdown_cell(
        "# 01 · Quick start\n\n"
        "Open the bundled sample study (99 SMEs in a Shanghai development zone, 2020), score "
        "every firm's digital maturity and draw one of the six summary charts. Everything "
        "`dmsurvey` does on the command line is a library call you can make here."
    ),
    new_code_cell(
        "import tempfile\n"
        "from pathlib import Path\n\n"
        "import dmsurvey\n"
        "from dmsurvey.store.sample import sample_study\n\n"
        "folder = Path(tempfile.mkdtemp()) / \"sample-study\"\n"
        "study = sample_study(folder)  # a study folder with the 99 sample firms\n"
        "questionnaire = study.questionnaire\n"
        "responses = study.responses()  # one row per firm, codes as categoricals\n"
        "responses.shape"
    ),
    new_code_cell(
        "responses[[\"industry\", \"employees_2019\", \"online_procurement_share\"]].head()"
    ),
    new_markdown_cell(
        "## Maturity scores\n\n"
        "The scoring rules live in the questionnaire file; `score` applies them."
    ),
    new_code_cell(
        "scores = dmsurvey.score(responses, questionnaire)\n"
        "scores.describe().round(1)"
    ),
    new_code_cell("scores[\"level\"].value_counts()"),
    new_markdown_cell(
        "## One chart\n\n"
        "A chart table holds exactly what the chart plots: count, base, share and the 95% "
        "Wilson interval of each bar."
    ),
    new_code_cell(
        "from dmsurvey.reporting.charts import chart_table\n"
        "from dmsurvey.reporting.plots import plot_shares\n"
        "from dmsurvey.reporting.theme import use_chart_theme\n\n"
        "use_chart_theme(\"en\")\n"
        "table = chart_table(responses, questionnaire, \"02_online_procurement_sales\")\n"
        "table"
    ),
    new_code_cell(
        "ax = plot_shares(table, hue=\"series\", title=\"Online procurement and sales (99)\")"
    ),
    new_markdown_cell("All six charts as PNG, SVG and CSV, in Chinese:"),
    new_code_cell(
        "tables = dmsurvey.summary_charts(responses, questionnaire, folder / \"charts\", "
        "language=\"zh\")\n"
        "sorted(path.name for path in (folder / \"charts\").iterdir())"
    ),
]

SIZE_AND_ADOPTION = [
    new_markdown_cell(
        "# 02 · Firm size and adoption\n\n"
        "Are larger firms more likely to do most of their procurement online? The paper says "
        "yes for procurement and finds no clear relation for sales. Here are the regressions "
        "`dmsurvey analyze` runs, and a model of your own with statsmodels."
    ),
    new_code_cell(
        "import numpy as np\n"
        "import statsmodels.formula.api as smf\n\n"
        "import dmsurvey\n"
        "from dmsurvey.analysis.regressions import adoption_outcomes\n"
        "from dmsurvey.store.sample import load_sample_responses\n\n"
        "questionnaire = dmsurvey.load_questionnaire(\"sme-digital-2020\")\n"
        "responses = load_sample_responses()\n"
        "len(responses)"
    ),
    new_markdown_cell(
        "## The bivariate logits\n\n"
        "One row per outcome and size measure (entered as its natural log)."
    ),
    new_code_cell(
        "regressions = dmsurvey.size_regressions(responses, questionnaire=questionnaire)\n"
        "logits = regressions[regressions[\"model\"] == \"logit\"]\n"
        "logits[[\"outcome\", \"size_measure\", \"n\", \"coef\", \"p_value\", \"ame\"]].round(3)"
    ),
    new_markdown_cell(
        "## Adoption by size class\n\n"
        "The share of firms above 50% online procurement in each employee size class, with "
        "Wilson intervals and a Cochran-Armitage trend test."
    ),
    new_code_cell(
        "from dmsurvey.analysis.gradients import size_gradient\n"
        "from dmsurvey.reporting.plots import plot_gradient\n"
        "from dmsurvey.reporting.theme import use_chart_theme\n\n"
        "use_chart_theme(\"en\")\n"
        "outcomes = adoption_outcomes(responses, questionnaire)\n"
        "data = outcomes.assign(size_class=dmsurvey.size_class(responses))\n"
        "gradient = size_gradient(data, outcomes=[\"online_procurement_gt50\", "
        "\"online_sales_gt50\"])\n"
        "ax = plot_gradient(gradient, x=\"group\", hue=\"outcome\",\n"
        "                   title=\"Adoption by size class\")\n"
        "gradient.round(3)"
    ),
    new_markdown_cell(
        "## A model of your own\n\n"
        "The outcomes are ordinary 0/1 columns, so any statsmodels formula works. Here: "
        "online procurement above 50% on log revenue, controlling for how the questionnaire "
        "was filled in."
    ),
    new_code_cell(
        "frame = responses.join(outcomes)\n"
        "frame = frame[frame[\"revenue_2019\"] > 0].copy()\n"
        "model_data = {\n"
        "    \"gt50\": frame[\"online_procurement_gt50\"].astype(float),\n"
        "    \"log_revenue\": np.log(frame[\"revenue_2019\"].astype(float)),\n"
        "    \"paper\": (frame[\"source\"].astype(str) == \"paper\").astype(float),\n"
        "}\n"
        "model = smf.logit(\"gt50 ~ log_revenue + paper\", data=model_data).fit(disp=False)\n"
        "model.summary2().tables[1].round(3)"
    ),
    new_code_cell(
        "odds_ratio_per_doubling = np.exp(model.params[\"log_revenue\"] * np.log(2))\n"
        "round(float(odds_ratio_per_doubling), 2)"
    ),
]

OBSTACLES_AND_POLICY = [
    new_markdown_cell(
        "# 03 · Obstacles and policy support\n\n"
        "What holds firms back, which support reaches them, and whether either differs by "
        "firm size."
    ),
    new_code_cell(
        "import dmsurvey\n"
        "from dmsurvey.store.sample import load_sample_responses\n\n"
        "questionnaire = dmsurvey.load_questionnaire(\"sme-digital-2020\")\n"
        "responses = load_sample_responses()\n"
        "obstacles = dmsurvey.shares(responses, \"biggest_obstacle\", "
        "questionnaire=questionnaire, language=\"en\")\n"
        "obstacles[[\"label\", \"count\", \"n\", \"share\", \"ci_low\", \"ci_high\"]].round(3)"
    ),
    new_code_cell(
        "from dmsurvey.reporting.plots import plot_heatmap, plot_shares\n"
        "from dmsurvey.reporting.theme import use_chart_theme\n\n"
        "use_chart_theme(\"en\")\n"
        "ax = plot_shares(obstacles, title=\"The biggest obstacle (99)\")"
    ),
    new_markdown_cell(
        "## By firm size\n\n"
        "A chi-squared test (with a simulated p-value where cells are small) of the biggest "
        "obstacle against the employee size class, and the shares behind it."
    ),
    new_code_cell(
        "data = responses.assign(size_class=dmsurvey.size_class(responses))\n"
        "test = dmsurvey.crosstab_test(data, \"biggest_obstacle\", by=\"size_class\")\n"
        "test[[\"test\", \"statistic\", \"df\", \"p_value\"]].drop_duplicates()"
    ),
    new_code_cell(
        "by_size = dmsurvey.shares(data, \"biggest_obstacle\", questionnaire=questionnaire, "
        "by=\"size_class\", language=\"en\")\n"
        "ax = plot_heatmap(by_size, x=\"size_class\", y=\"label\", "
        "title=\"Biggest obstacle by size class\")"
    ),
    new_markdown_cell("## Policy support received"),
    new_code_cell(
        "policy = dmsurvey.shares(responses, \"policy_support\", questionnaire=questionnaire, "
        "language=\"en\")\n"
        "ax = plot_shares(policy, title=\"Policy support received (99)\")\n"
        "policy[[\"label\", \"count\", \"share\"]].round(3)"
    ),
]

WEIGHTS_AND_DESIGN = [
    new_markdown_cell(
        "# 04 · Weights and survey design\n\n"
        "From planning a sample to design-based estimates: how many firms to interview, a "
        "stratified draw from a business register, weights that carry respondents back to "
        "the register, and shares, tests and regressions that respect the design (checked "
        "against R's `survey` package in `tests/reference/`)."
    ),
    new_markdown_cell(
        "## Planning\n\n"
        "A share near 30% within ±5 points at 95% confidence, with a design effect of 1.5 "
        "and six firms in ten answering:"
    ),
    new_code_cell(
        "from dmsurvey.sampling.planning import required_sample_size, stratified_draw, "
        "synthetic_register\n\n"
        "required_sample_size(margin=0.05, share=0.3, deff=1.5, population=20000, "
        "response_rate=0.6)"
    ),
    new_markdown_cell(
        "## Drawing\n\n"
        "A made-up register of 20,000 firms, and 400 drawn by industry × size class with "
        "Neyman allocation on revenue (larger, more varied strata get more firms). The same "
        "seed gives the same firms."
    ),
    new_code_cell(
        "register = synthetic_register(20000)\n"
        "draw, allocation = stratified_draw(register, strata=[\"industry\", \"size_class\"], "
        "n=400, allocation=\"neyman\", variable=\"revenue\", seed=7, id_column=\"firm_id\")\n"
        "allocation.sort_values(\"allocated\", ascending=False).head(8)"
    ),
    new_code_cell(
        "sample = draw[draw[\"role\"] == \"sample\"]\n"
        "len(sample), sample[\"design_weight\"].sum()  # the weights add up to the register"
    ),
    new_markdown_cell(
        "## The sample study's design\n\n"
        "The bundled 99 firms come with a documented draw: 162 firms drawn from a zone "
        "register of 7,967 in 14 strata (industry × size). Recording it in a study weights "
        "the respondents, adjusting for nonresponse within strata."
    ),
    new_code_cell(
        "import tempfile\n"
        "from pathlib import Path\n\n"
        "from dmsurvey.sampling.record import design_overview, load_design, "
        "respondent_design\n"
        "from dmsurvey.sampling.sample_design import record_sample_design\n"
        "from dmsurvey.store.sample import sample_study\n\n"
        "study = sample_study(Path(tempfile.mkdtemp()) / \"sample-study\")\n"
        "record_sample_design(study.path)\n"
        "draw, spec = load_design(study.path)\n"
        "overview = design_overview(draw, spec)\n"
        "overview[\"weights\"]"
    ),
    new_code_cell("overview[\"strata\"].head()"),
    new_markdown_cell(
        "## Design-based estimates\n\n"
        "Shares with linearised standard errors, design effects and logit intervals; groups "
        "are estimated as domains of the whole design."
    ),
    new_code_cell(
        "from dmsurvey.analysis.shares import shares\n\n"
        "responses = study.responses()\n"
        "design = respondent_design(responses, draw, spec)\n"
        "shares(responses, \"online_procurement_share\", questionnaire=study.questionnaire, "
        "design=design).round(3)"
    ),
    new_markdown_cell(
        "Korn–Graubard intervals suit small shares; replicate weights (jackknife or "
        "bootstrap) are an alternative to linearisation:"
    ),
    new_code_cell(
        "from dmsurvey.analysis.design import design_means\n"
        "from dmsurvey.analysis.regressions import adoption_outcomes\n\n"
        "outcomes = adoption_outcomes(responses, study.questionnaire)\n"
        "linearised = design_means(outcomes, list(outcomes.columns), design, "
        "interval=\"korn_graubard\")\n"
        "jackknife = design_means(outcomes, list(outcomes.columns), "
        "design.with_replicates(\"jackknife\"))\n"
        "linearised.assign(jackknife_se=jackknife[\"std_err\"]).round(3)"
    ),
    new_markdown_cell(
        "Weighting moves some figures a long way: small firms, which rarely buy online, "
        "stand for many more firms of the zone than the large ones."
    ),
    new_code_cell(
        "import matplotlib.pyplot as plt\n\n"
        "fig, ax = plt.subplots(figsize=(6, 3))\n"
        "ax.errorbar(linearised[\"estimate\"], linearised[\"variable\"],\n"
        "            xerr=[linearised[\"estimate\"] - linearised[\"ci_low\"],\n"
        "                  linearised[\"ci_high\"] - linearised[\"estimate\"]],\n"
        "            fmt=\"o\", label=\"design-based, 95% Korn–Graubard\")\n"
        "ax.scatter(outcomes.mean(), outcomes.columns, marker=\"x\", color=\"grey\", "
        "label=\"unweighted\")\n"
        "ax.set_xlabel(\"share of firms\")\n"
        "ax.legend(loc=\"lower right\")"
    ),
    new_markdown_cell("A Rao–Scott test of cloud migration by firm size, and the survey logit:"),
    new_code_cell(
        "import numpy as np\n"
        "from dmsurvey.analysis.design import rao_scott\n\n"
        "micro = np.where(responses[\"employees_2019\"].astype(float) < 10, \"yes\", \"no\")\n"
        "rao_scott(responses.assign(micro=micro), \"cloud_status\", \"micro\", design)"
    ),
    new_code_cell(
        "from dmsurvey.analysis.regressions import size_regressions\n\n"
        "table = size_regressions(responses, questionnaire=study.questionnaire, "
        "design=design, industry=None)\n"
        "table[[\"outcome\", \"size_measure\", \"model\", \"coef\", \"std_err\", "
        "\"p_value\", \"ame\"]].head(9).round(3)"
    ),
]

WAVES = [
    new_markdown_cell(
        "# 05 · Two waves: what changed since 2020\n\n"
        "The zone surveyed its SMEs again in 2022. About 80 of the 99 firms of 2020 answered "
        "again and some new firms joined (the bundled 2022 sample). This notebook links the "
        "firms of the two waves, compares them, and draws the charts of the report's "
        "\"What changed\" section: the same library calls as `dmsurvey link`, "
        "`dmsurvey compare` and `dmsurvey report --previous`."
    ),
    new_code_cell(
        "import tempfile\n"
        "from pathlib import Path\n\n"
        "from dmsurvey.store.sample import sample_study\n"
        "from dmsurvey.store.sample_2022 import sample_study_2022\n\n"
        "folder = Path(tempfile.mkdtemp())\n"
        "wave_2020 = sample_study(folder / \"zone-2020\")\n"
        "wave_2022 = sample_study_2022(folder / \"zone-2022\")\n"
        "answers_2020, answers_2022 = wave_2020.responses(), wave_2022.responses()\n"
        "len(answers_2020), len(answers_2022)"
    ),
    new_markdown_cell(
        "## Linking the firms\n\n"
        "The questionnaire marks the unified social credit code as the firm key; its check "
        "character is verified when the answer comes in. Firms with the same code are linked. "
        "Firms that left the code blank get proposals, scored from the name, the respondent "
        "and the size, for a person to confirm (`confirm` = yes in the links file)."
    ),
    new_code_cell(
        "from dmsurvey.store.linking import link_studies\n\n"
        "links = link_studies(wave_2020, wave_2022)\n"
        "links[\"match\"].value_counts()"
    ),
    new_code_cell(
        "proposals = links[links[\"match\"] == \"proposed\"]\n"
        "proposals[[\"earlier_firm\", \"later_firm\", \"score\", \"rank\"]].head(8)"
    ),
    new_markdown_cell(
        "Here we confirm the first-ranked proposal of every firm whose best score is high; "
        "in real work a person reads the file and writes `yes` where the firms are the same."
    ),
    new_code_cell(
        "confirmed = links[(links[\"match\"] == \"key\")\n"
        "                  | ((links[\"rank\"] == 1) & (links[\"score\"] >= 0.8))]\n"
        "confirmed = confirmed.drop_duplicates(\"earlier_id\")[[\"earlier_id\", \"later_id\"]]\n"
        "len(confirmed)"
    ),
    new_markdown_cell(
        "## Comparing the waves\n\n"
        "`compare_waves` returns every table of `dmsurvey compare`: per-firm change, the "
        "level transition matrix, McNemar tests per adoption indicator, Wilcoxon and paired "
        "t tests of the scores, change by size class and industry, a size-vs-change "
        "regression, attrition with a test, and the cross-sections of both waves."
    ),
    new_code_cell(
        "from dmsurvey.analysis.panel import compare_waves\n\n"
        "tables = compare_waves(answers_2020, answers_2022, links=confirmed,\n"
        "                       earlier_questionnaire=wave_2020.questionnaire,\n"
        "                       later_questionnaire=wave_2022.questionnaire)\n"
        "tables[\"score_tests\"][[\"measure\", \"n_pairs\", \"mean_earlier\", \"mean_later\", "
        "\"mean_change\",\n"
        "                        \"ci_low\", \"ci_high\", \"t_p_value\", "
        "\"wilcoxon_p_value\"]].round(3)"
    ),
    new_code_cell(
        "tables[\"adoption_tests\"][[\"label\", \"share_earlier\", \"share_later\", "
        "\"adopted\", \"dropped\",\n"
        "                           \"p_value\"]].head(8).round(3)"
    ),
    new_code_cell(
        "tables[\"transitions\"].pivot(index=\"level_earlier\", columns=\"level_later\", "
        "values=\"count\")"
    ),
    new_markdown_cell(
        "## Is the panel selective?\n\n"
        "Firms that answered only in 2020 compared with those that answered again, by size "
        "class and industry."
    ),
    new_code_cell(
        "attrition = tables[\"attrition\"]\n"
        "attrition[attrition[\"wave\"] == \"earlier\"].groupby(\"by\")[[\"test\", "
        "\"p_value\"]].first()"
    ),
    new_markdown_cell(
        "## The summary and the charts\n\n"
        "The report's sentences are written from these tables, and the charts from the same "
        "tables."
    ),
    new_code_cell(
        "from dmsurvey.reporting.change import change_summary\n\n"
        "for headline in change_summary(tables, (\"2020\", \"2022\"), earlier_n="
        "len(answers_2020),\n"
        "                               later_n=len(answers_2022)):\n"
        "    print(headline.text)"
    ),
    new_code_cell(
        "from dmsurvey.reporting.panel_charts import adoption_table, slope_table\n"
        "from dmsurvey.reporting.plots import plot_shares, plot_slopes\n"
        "from dmsurvey.reporting.theme import use_chart_theme\n\n"
        "use_chart_theme(\"en\")\n"
        "ax = plot_slopes(slope_table(tables, (\"2020\", \"2022\")), "
        "title=\"Mean scores, 2020 and 2022\")"
    ),
    new_code_cell(
        "adoption = adoption_table(tables, (\"2020\", \"2022\"), wave_2022.questionnaire, "
        "\"en\")\n"
        "ax = plot_shares(adoption, hue=\"wave\", title=\"Adoption in 2020 and in 2022\")"
    ),
]

NOTEBOOKS = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_size_and_adoption.ipynb": SIZE_AND_ADOPTION,
    "03_obstacles_and_policy.ipynb": OBSTACLES_AND_POLICY,
    "04_weights_and_design.ipynb": WEIGHTS_AND_DESIGN,
    "05_waves.ipynb": WAVES,
}


def build(name: str) -> nbformat.NotebookNode:
    notebook = new_notebook(cells=NOTEBOOKS[name])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def main() -> None:
    for name in NOTEBOOKS:
        notebook = build(name)
        # Fixed cell ids keep the files identical from one run to the next.
        for number, cell in enumerate(notebook.cells):
            cell["id"] = f"cell-{number:02d}"
        nbformat.validate(notebook)
        nbformat.write(notebook, HERE / name)
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
