# Reference figures for dmsurvey's design-based estimates, computed with R's survey package.
#
#   Rscript tests/reference/survey_reference.R [OUTPUT.csv]
#
# Reads the bundled sample (src/dmsurvey/data/sample_responses.csv) and its draw
# (src/dmsurvey/data/sample_draw.csv: strata, population sizes, nonresponse-adjusted
# weights), declares the stratified design and writes one row per figure:
# table,name,term,quantity,value. tests/analysis/test_survey_reference.py compares
# dmsurvey's figures with this file and reruns the script when R and survey are there.
#
# Models are fitted to convergence: glm's default stops when the deviance changes by less
# than 1e-8 and takes the standard errors from the working weights of the iteration
# before, about 1e-4 off the converged ones; svyolr optimises until the likelihood stops
# improving (reltol = 0; the default stops about 1e-5 short) with a
# small step for its numerical Hessian (it passes `control` to optim). Converged, the
# reference is exact to about 1e-8.

suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "fail")

args <- commandArgs(trailingOnly = TRUE)
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(), value = TRUE)[1]))
root <- normalizePath(file.path(here, "..", ".."))
output <- if (length(args)) args[1] else file.path(here, "survey_reference.csv")

responses <- read.csv(file.path(root, "src/dmsurvey/data/sample_responses.csv"),
                      colClasses = "character", na.strings = "")
draw <- read.csv(file.path(root, "src/dmsurvey/data/sample_draw.csv"),
                 colClasses = c(response_id = "character"))
selects <- read.csv(file.path(here, "select_questions.csv"), colClasses = "character")
data <- merge(responses, draw[draw$responded == 1, c("response_id", "stratum",
                                                     "population", "weight")],
              by = "response_id", sort = FALSE)
design <- svydesign(ids = ~1, strata = ~stratum, fpc = ~population, weights = ~weight,
                    data = data)

rows <- list()
add <- function(table, name, term, values) {
  rows[[length(rows) + 1]] <<- data.frame(table = table, name = name, term = term,
                                          quantity = names(values),
                                          value = unname(unlist(values)))
}

chosen <- function(answers, code, multiple) {
  if (multiple) {
    vapply(strsplit(answers, " ", fixed = TRUE), function(x) code %in% x, logical(1))
  } else {
    answers == code
  }
}

# every share of every select question, among the firms that answered it
for (i in seq_len(nrow(selects))) {
  question <- selects$question[i]
  multiple <- selects$type[i] == "select_multiple"
  answers <- data[[question]]
  codes <- sort(unique(unlist(if (multiple) strsplit(na.omit(answers), " ") else
    na.omit(answers))))
  answered <- subset(design, !is.na(answers))
  for (code in codes) {
    design$variables$.y <- as.numeric(chosen(answers, code, multiple))
    answered <- subset(design, !is.na(answers))
    m <- svymean(~.y, answered, deff = TRUE)
    values <- list(estimate = coef(m)[[1]], std_err = SE(m)[[1]],
                   deff = deff(m)[[1]], df = degf(answered))
    share <- coef(m)[[1]]
    if (share > 0 && share < 1) {
      logit <- attr(svyciprop(~.y, answered, method = "logit"), "ci")
      beta <- attr(svyciprop(~.y, answered, method = "beta"), "ci")
      values <- c(values, list(logit_low = logit[[1]], logit_high = logit[[2]],
                               kg_low = beta[[1]], kg_high = beta[[2]]))
    }
    add("share", question, code, values)
  }
}

# two domains: buying more than half online, by industry and by size group
data$procurement_gt50 <- as.numeric(data$online_procurement_share %in% c("51_75", "76_100"))
data$procurement_gt50[is.na(data$online_procurement_share)] <- NA
design <- update(design, procurement_gt50 = data$procurement_gt50,
                 size_group = draw$size_group[match(data$response_id, draw$response_id)])
for (by in c("industry", "size_group")) {
  estimates <- svyby(~procurement_gt50, as.formula(paste0("~", by)), design, svymean,
                     na.rm = TRUE)
  for (j in seq_len(nrow(estimates))) {
    add(paste0("domain_", by), "procurement_gt50", as.character(estimates[j, 1]),
        list(estimate = estimates[j, 2], std_err = estimates[j, 3]))
  }
}

# Rao-Scott corrected test: cloud migration by micro firms (under 10 employees) and the
# rest (a table without empty cells, which svychisq cannot invert)
employees <- as.numeric(data$employees_2019)
design <- update(design, micro = ifelse(employees < 10, "yes", "no"))
test <- svychisq(~cloud_status + micro, design, statistic = "F")
add("rao_scott", "cloud_status", "micro",
    list(statistic = test$statistic[[1]], ndf = test$parameter[[1]],
         ddf = test$parameter[[2]], p_value = test$p.value[[1]]))

# the size regressions: yes/no adoption logits and ordered share bands on log size
# (internet_finance_gt50 is left out: one firm has it, too few for dmsurvey to fit)
outcomes <- list(
  online_procurement_gt50 = list("online_procurement_share", c("51_75", "76_100")),
  online_sales_gt50 = list("online_sales_share", c("51_75", "76_100")),
  internet_finance_any = list("internet_finance_share", c("1_25", "26_50", "51_75", "76_100")),
  ai_or_big_data = list("tech_used", c("ai", "big_data")),
  cloud_migrated = list("cloud_status", c("migrated")))
bands <- c("none", "1_25", "26_50", "51_75", "76_100")
for (measure in c("employees_2019", "revenue_2019", "assets_2019")) {
  size <- as.numeric(data[[measure]])
  design$variables$log_size <- ifelse(size > 0, log(size), NA)
  for (outcome in names(outcomes)) {
    spec <- outcomes[[outcome]]
    answers <- data[[spec[[1]]]]
    hit <- vapply(strsplit(ifelse(is.na(answers), "", answers), " ", fixed = TRUE),
                  function(x) any(spec[[2]] %in% x), logical(1))
    design$variables$.y <- ifelse(is.na(answers), NA, as.numeric(hit))
    fit <- svyglm(.y ~ log_size, design, family = quasibinomial(),
                  control = glm.control(epsilon = 1e-14, maxit = 100))
    add("svyglm_logit", outcome, measure,
        list(coef = coef(fit)[["log_size"]], std_err = SE(fit)[["log_size"]],
             intercept = coef(fit)[["(Intercept)"]],
             intercept_se = SE(fit)[["(Intercept)"]], df = fit$df.residual))
  }
  for (question in c("online_procurement_share", "online_sales_share",
                     "internet_finance_share")) {
    answers <- data[[question]]
    design$variables$.band <- factor(answers, levels = intersect(bands, answers))
    fit <- svyolr(.band ~ log_size, design,
                  control = list(reltol = 0, maxit = 1000,
                                 ndeps = rep(1e-6, nlevels(design$variables$.band))))
    se <- sqrt(diag(vcov(fit)))
    add("svyolr", question, measure,
        c(list(coef = coef(fit)[["log_size"]], std_err = se[["log_size"]]),
          setNames(as.list(fit$zeta), paste0("cut_", seq_along(fit$zeta))),
          setNames(as.list(se[-1]), paste0("cut_se_", seq_along(fit$zeta)))))
  }
}

result <- do.call(rbind, rows)
result$value <- trimws(formatC(result$value, digits = 15, format = "g"))
write.csv(result, output, row.names = FALSE, quote = FALSE)
