"""Charts, figures and reports drawn from the analysis tables.

- `charts.summary_charts`: the six summary charts (PNG, SVG, CSV; the file contract)
- `figures.other_figures`: the sample profile, R&D, marketing, COVID-19, scores, size plots
- `summary.executive_summary`: findings in words, every number from the data
- `report.write_report`: the report folder (report.html, charts, tables, summary.json)
- `feedback.write_firm_feedback`: one firm's page against its peers
- `plots`: the plot functions underneath (`data, *, ..., ax=None -> Axes`)
"""
