"""Sampling: planning a survey's sample, drawing it from a business register, and the
weights that carry the respondents back to the population.

- `planning`: sample sizes, allocation to strata and the stratified draw.
- `weighting`: nonresponse adjustment, post-stratification, raking and trimming, each step
  kept in a table.
- `record`: the design kept in a study (the draw and the weights) and the
  `SurveyDesign` the analyses use.
- `sample_design`: the documented design of the bundled sample study.
"""
