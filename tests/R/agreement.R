# Reference values for tests/test_sofa_versions.py (agreement of two scores of the same days).
# Run: Rscript tests/R/agreement.R   (R 4.2, stats only)
# Bland & Altman (Lancet 1986): bias = mean(d), limits = bias -/+ 1.96 sd(d), d = y - x.
# ICC(A,1) (McGraw & Wong 1996, case 2A, single score, absolute agreement) from the mean
# squares of the two-way ANOVA score ~ target + rater fitted by aov():
#   (MSR - MSE) / (MSR + (k - 1) MSE + k (MSC - MSE) / n).
# The data are deterministic formulas, written the same way in the Python test:
gold <- function(n, s) ((1:n) * 0.6180339887498949 + s) %% 1
ints <- function(n, s, k) floor(gold(n, s) * k)
f <- function(v) sprintf("%.15g", v)

cases <- list(
  shift_300 = list(x = ints(300, 0.1, 20), d = ints(300, 0.7, 4) - 2),
  small_7 = list(x = c(2, 5, 8, 3, 0, 11, 6), d = c(1, 0, 1, 0, 0, -2, -1)),
  wide_1000 = list(x = ints(1000, 0.3, 24), d = ints(1000, 0.45, 9) - 5)
)
for (name in names(cases)) {
  x <- cases[[name]]$x
  y <- pmin(pmax(x + cases[[name]]$d, 0), 24)
  d <- y - x
  n <- length(x); k <- 2
  long <- data.frame(score = c(x, y), target = factor(rep(1:n, 2)), rater = factor(rep(1:2, each = n)))
  ms <- summary(aov(score ~ target + rater, data = long))[[1]][["Mean Sq"]]
  msr <- ms[1]; msc <- ms[2]; mse <- ms[3]
  icc <- (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
  cat(sprintf('"%s": {"bias": %s, "sd": %s, "loa_low": %s, "loa_high": %s, "icc_a1": %s, "identical": %s},\n',
              name, f(mean(d)), f(sd(d)), f(mean(d) - 1.96 * sd(d)), f(mean(d) + 1.96 * sd(d)),
              f(icc), f(mean(d == 0))))
}
