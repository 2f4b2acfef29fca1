# Reference values for tests/test_stats_rmst.py.
# Run: Rscript tests/R/rmst.R   (R 4.2, survival 3.5)
# RMST and its standard error per arm: summary(survfit(Surv(t, e) ~ g), rmean = tau)$table
# (the numbers print(survfit(...), rmean = tau) shows). Data are deterministic formulas,
# written the same way in the Python test:
#   gold(n, s) = ((1:n) * 0.6180339887498949 + s) %% 1
suppressPackageStartupMessages(library(survival))
gold <- function(n, s) ((1:n) * 0.6180339887498949 + s) %% 1
f <- function(v) if (is.na(v)) "nan" else sprintf("%.15g", v)
surv_data <- function(n, s, rate, cens) {
  t_ev <- ceiling(-log(1 - gold(n, s)) / rate)          # integer days, many ties
  t_c <- ifelse(gold(n, s + 0.41) < cens, ceiling(gold(n, s + 0.77) * 90), 90)
  list(time = pmin(t_ev, t_c), event = as.integer(t_ev <= t_c))
}
cases <- list(
  imicro_like = list(a = surv_data(114, 0.05, 0.02, 0.05), b = surv_data(122, 0.45, 0.018, 0.05),
                     tau = c(28, 60, 90)),
  heavy_censoring = list(a = surv_data(60, 0.21, 0.03, 0.5), b = surv_data(55, 0.63, 0.02, 0.5),
                         tau = c(10, 45.5, 90)),
  small = list(a = list(time = c(2, 3, 3, 5, 8, 10), event = c(1, 1, 0, 1, 0, 1)),
               b = list(time = c(4, 6, 9, 12, 12, 15), event = c(1, 0, 1, 0, 0, 1)),
               tau = c(3, 6, 10, 15, 20))
)
cat("RMST = {\n")
for (nm in names(cases)) {
  a <- cases[[nm]]
  d <- data.frame(time = c(a$a$time, a$b$time), event = c(a$a$event, a$b$event),
                  g = rep(c(1, 0), c(length(a$a$time), length(a$b$time))))
  fit <- survfit(Surv(time, event) ~ g, data = d)
  cat(sprintf('    "%s": {\n', nm))
  for (tau in a$tau) {
    tb <- summary(fit, rmean = tau)$table
    # rows are g=0, g=1
    cat(sprintf('        %s: dict(rmst_0=%s, se_0=%s, rmst_1=%s, se_1=%s),\n', f(tau),
                f(tb[1, "rmean"]), f(tb[1, "se(rmean)"]), f(tb[2, "rmean"]), f(tb[2, "se(rmean)"])))
  }
  cat("    },\n")
}
cat("}\n")
