# Reference values for tests/test_stats_rank.py (Hodges-Lehmann / Wilcoxon rank sum, van Elteren).
# Run: Rscript tests/R/rank.R   (R 4.2, stats; coin 1.4 for van Elteren)
# Prints one Python dict literal per data set; the test file holds these values verbatim.
# The data are deterministic formulas, written the same way in the Python test:
#   gold(n, s)  = ((1:n) * 0.6180339887498949 + s) %% 1     (golden-ratio sequence)
#   cont(n, s)  = qnorm(gold(n, s))                          (continuous, no ties)
#   ints(n, s, k) = floor(gold(n, s) * k)                    (integers 0..k-1, many ties)
gold <- function(n, s) ((1:n) * 0.6180339887498949 + s) %% 1
cont <- function(n, s) qnorm(gold(n, s))
ints <- function(n, s, k) floor(gold(n, s) * k)
f <- function(v) if (is.na(v)) "nan" else sprintf("%.15g", v)

cases <- list(
  exact_9_10 = list(x = cont(9, 0.1) + 0.5, y = cont(10, 0.2)),
  exact_5_30 = list(x = cont(5, 0.3) + 1, y = cont(30, 0.4)),
  exact_3_2 = list(x = cont(3, 0.5), y = cont(2, 0.6)),
  exact_1_1 = list(x = 1.5, y = 0.25),                        # level not achievable
  exact_49_45 = list(x = cont(49, 0.7) + 0.3, y = cont(45, 0.8)),
  exact_90 = list(x = cont(20, 0.05) + 0.2, y = cont(25, 0.15), conf.level = 0.9),
  exact_forced_60_55 = list(x = cont(60, 0.45) + 0.25, y = cont(55, 0.55), exact = TRUE),
  approx_small_forced = list(x = cont(12, 0.25) + 0.4, y = cont(11, 0.35), exact = FALSE),
  approx_small_nocorrect = list(x = cont(12, 0.25) + 0.4, y = cont(11, 0.35), exact = FALSE,
                                correct = FALSE),
  ties_small = list(x = ints(9, 0.1, 5), y = ints(11, 0.6, 5)),
  cont_60_55 = list(x = cont(60, 0.45) + 0.25, y = cont(55, 0.55)),
  cont_2000_1500 = list(x = cont(2000, 0.65) + 0.1, y = cont(1500, 0.75)),
  cont_2000_1500_nocorrect = list(x = cont(2000, 0.65) + 0.1, y = cont(1500, 0.75),
                                  correct = FALSE),
  sofa_114_122 = list(x = ints(114, 0.12, 12) - ints(114, 0.81, 6),
                      y = ints(122, 0.33, 12) - ints(122, 0.27, 5)),
  free_days_120_116 = list(x = pmax(0, ints(120, 0.9, 36) - 8),
                           y = pmax(0, ints(116, 0.15, 34) - 8)),
  zero_shift = list(x = ints(80, 0.2, 7), y = ints(80, 0.2, 7)),
  separated = list(x = ints(60, 0.3, 5) + 10, y = ints(55, 0.4, 5)),
  odd_even_flat = list(x = c(0, 0, 1, 1, 2, 3, 3), y = c(0, 1, 1, 2, 2, 2)),
  large_int_3000 = list(x = ints(3000, 0.61, 25), y = ints(2800, 0.47, 24)),
  unequal_1_80 = list(x = 0.3, y = cont(80, 0.5))
)

for (nm in names(cases)) {
  a <- cases[[nm]]
  ex <- if (is.null(a$exact)) NULL else a$exact
  co <- if (is.null(a$correct)) TRUE else a$correct
  cl <- if (is.null(a$conf.level)) 0.95 else a$conf.level
  r <- suppressWarnings(wilcox.test(a$x, a$y, conf.int = TRUE, exact = ex, correct = co,
                                    conf.level = cl))
  d <- sort(outer(a$x, a$y, "-"))
  M <- length(d)
  mid <- if (M %% 2 == 1) c(d[(M + 1) / 2], d[(M + 1) / 2]) else c(d[M / 2], d[M / 2 + 1])
  cat(sprintf(paste0('"%s": dict(estimate=%s, ci_low=%s, ci_high=%s, p_value=%s, statistic=%s, ',
                     'conf_level=%s, method="%s", mid_low=%s, mid_high=%s),\n'),
              nm, f(r$estimate), f(r$conf.int[1]), f(r$conf.int[2]), f(r$p.value),
              f(r$statistic), f(attr(r$conf.int, "conf.level")),
              if (grepl("exact", r$method)) "exact" else "normal approximation",
              f(mid[1]), f(mid[2])))
}

# Exact null distribution of W (pwilcox) and its quantile (qwilcox), for the helper.
cat("# pwilcox / qwilcox\n")
for (mn in list(c(3, 2), c(9, 10), c(5, 30), c(49, 45))) {
  m <- mn[1]; n <- mn[2]; q <- floor(m * n / 3)
  cat(sprintf('(%d, %d): dict(q=%d, p=%s, q025=%d),\n', m, n, q, f(pwilcox(q, m, n)),
              qwilcox(0.025, m, n)))
}

# --- van Elteren: coin::independence_test(v ~ arm | site, distribution = "asymptotic",
# teststat = "scalar") with the van Elteren scores rank / (n_s + 1) within site as ytrafo.
# (coin 1.4's wilcox_test(v ~ arm | site) ignores a user ytrafo and scores pooled ranks,
# unweighted: not van Elteren.)  The estimate and limits invert the same statistic in the shift d of x:
# uniroot(z(d) - q, tol = 1e-12) on the step function lands on its jump point.
suppressPackageStartupMessages(library(coin))
ve_z <- function(x, y, sx, sy, d = 0) {
  dat <- data.frame(v = c(x - d, y), arm = factor(rep(c("x", "y"), c(length(x), length(y)))),
                    site = factor(c(sx, sy)))
  ve <- function(data) trafo(data, numeric_trafo = function(v) rank_trafo(v) / (length(v) + 1),
                             block = dat$site)
  independence_test(v ~ arm | site, data = dat, distribution = "asymptotic", ytrafo = ve,
                    teststat = "scalar")
}
ve_cases <- list(
  ve_4_sites = list(x = cont(118, 0.21) + 0.4, y = cont(118, 0.61),
                    sx = c("A", "B", "C", "D")[(0:117) %% 4 + 1],
                    sy = c("A", "B", "C", "D")[(0:117) %% 3 + 1]),
  ve_unbalanced = list(x = cont(52, 0.3) * 2 + 0.5, y = cont(61, 0.9) * 2,
                       sx = c(rep("s1", 3), rep("s2", 12), rep("s3", 37)),
                       sy = c(rep("s1", 4), rep("s2", 9), rep("s3", 48))),
  ve_int_sofa = list(x = ints(114, 0.12, 12), y = ints(122, 0.33, 11),
                     sx = c("a", "b", "c", "d", "e", "f")[floor(gold(114, 0.5) * 6) + 1],
                     sy = c("a", "b", "c", "d", "e", "f")[floor(gold(122, 0.7) * 6) + 1]),
  ve_small = list(x = c(5, 7, 9, 4, 6), y = c(3, 4, 8, 1, 2, 2),
                  sx = c("a", "a", "a", "b", "b"), sy = c("a", "a", "b", "b", "b", "a")),
  ve_one_arm_site = list(x = cont(30, 0.15), y = cont(33, 0.45) - 0.3,
                         sx = c(rep("p", 14), rep("q", 16)),
                         sy = c(rep("p", 15), rep("q", 12), rep("r", 6))),
  ve_single_site = list(x = cont(30, 0.05) + 0.5, y = cont(40, 0.95),
                        sx = rep("only", 30), sy = rep("only", 40))
)
for (nm in names(ve_cases)) {
  a <- ve_cases[[nm]]
  t0 <- ve_z(a$x, a$y, a$sx, a$sy)
  zf <- function(d, q = 0) statistic(ve_z(a$x, a$y, a$sx, a$sy, d)) - q
  lo <- min(outer(a$x, a$y, "-")) - 1; hi <- max(outer(a$x, a$y, "-")) + 1
  q <- qnorm(0.975)
  r <- function(qq) uniroot(zf, c(lo, hi), q = qq, tol = 1e-12)$root
  extra <- ""
  if (nm == "ve_single_site") {
    w <- wilcox.test(a$x, a$y, conf.int = TRUE, exact = FALSE, correct = FALSE)
    extra <- sprintf(", wilcox=(%s, %s, %s, %s)", f(w$estimate), f(w$conf.int[1]),
                     f(w$conf.int[2]), f(w$p.value))
  }
  cat(sprintf('"%s": dict(statistic=%s, p_value=%s, estimate=%s, ci_low=%s, ci_high=%s%s),\n',
              nm, f(statistic(t0)), f(pvalue(t0)), f(r(0)), f(r(q)), f(r(-q)), extra))
}
