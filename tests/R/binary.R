# Reference values for tests/test_stats_binary.py.
# Run: Rscript tests/R/binary.R   (R 4.x, epitools 0.5-10.x; stats is base R)
# Prints one Python dict literal per data set; the test file holds these values verbatim.
# Orientation: arm 1 over arm 2, a/n1 events in arm 1, b/n2 events in arm 2.
suppressPackageStartupMessages(library(epitools))

cases <- list(
  imicro_death = c(48, 114, 47, 122),   # I-MICRO day-28 deaths (trials.md, derived split)
  imicro_sae = c(17, 114, 8, 122),      # I-MICRO patients with a severe adverse event
  newcombe_a = c(56, 70, 48, 80),       # Newcombe 1998 Stat Med 17:873, Table II example (a)
  newcombe_b = c(9, 10, 3, 10),         # example (b), small n
  newcombe_c = c(6, 7, 2, 7),           # example (c), very small n
  newcombe_d = c(5, 56, 0, 29),         # example (d), zero cell in arm 2
  combat_d28 = c(70, 142, 60, 136),     # COMBAT-SHINE-sized day-28 deaths (49% vs 44%)
  small = c(2, 5, 1, 6),
  equal = c(5, 20, 5, 20),              # identical risks: RR = OR = 1, RD = 0
  rare = c(1, 1000, 3, 1000),
  large = c(48000, 114000, 47000, 122000),
  zero_arm1 = c(0, 25, 4, 25)           # zero cell in arm 1
)

f <- function(x) if (is.na(x)) "nan" else if (is.infinite(x)) ifelse(x > 0, "inf", "-inf") else sprintf("%.12g", x)
z <- qnorm(0.975)
for (nm in names(cases)) {
  v <- cases[[nm]]; a <- v[1]; n1 <- v[2]; b <- v[3]; n2 <- v[4]
  # epitools: rows = exposure (first row = reference), column 2 = outcome.
  tab <- matrix(c(n2 - b, b, n1 - a, a), nrow = 2, byrow = TRUE)
  rr <- suppressWarnings(riskratio(tab, method = "wald")$measure[2, ])
  orw <- suppressWarnings(oddsratio(tab, method = "wald")$measure[2, ])
  orf <- suppressWarnings(oddsratio(tab, method = "fisher")$measure[2, ])
  ft <- fisher.test(matrix(c(a, n1 - a, b, n2 - b), 2, byrow = TRUE))
  cy <- suppressWarnings(chisq.test(matrix(c(a, n1 - a, b, n2 - b), 2, byrow = TRUE), correct = TRUE))
  cn <- suppressWarnings(chisq.test(matrix(c(a, n1 - a, b, n2 - b), 2, byrow = TRUE), correct = FALSE))
  pt <- suppressWarnings(prop.test(c(a, b), c(n1, n2), correct = TRUE))
  # Wald risk difference (unpooled variance) and its z-test, by hand.
  p1 <- a / n1; p2 <- b / n2; se <- sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
  rd <- c(p1 - p2, p1 - p2 - z * se, p1 - p2 + z * se)
  rd_p <- 2 * pnorm(-abs((p1 - p2) / se))
  # log-Wald RR z-test, by hand (epitools gives no Wald p).
  se_lrr <- sqrt(1 / a - 1 / n1 + 1 / b - 1 / n2)
  rr_p <- 2 * pnorm(-abs(log(p1 / p2) / se_lrr))
  se_lor <- sqrt(1 / a + 1 / (n1 - a) + 1 / b + 1 / (n2 - b))
  or_p <- 2 * pnorm(-abs(log(a * (n2 - b) / (b * (n1 - a))) / se_lor))
  # Newcombe hybrid score interval (method 10): Wilson limits of each arm from prop.test(correct=FALSE).
  w1 <- suppressWarnings(prop.test(a, n1, correct = FALSE)$conf.int)
  w2 <- suppressWarnings(prop.test(b, n2, correct = FALSE)$conf.int)
  nc <- c(p1 - p2 - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2),
          p1 - p2 + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2))
  cat(sprintf('"%s": dict(a=%d, n1=%d, b=%d, n2=%d,\n', nm, a, n1, b, n2))
  cat(sprintf('    rr_wald=(%s, %s, %s), rr_wald_p=%s,\n', f(rr[1]), f(rr[2]), f(rr[3]), f(rr_p)))
  cat(sprintf('    or_wald=(%s, %s, %s), or_wald_p=%s,\n', f(orw[1]), f(orw[2]), f(orw[3]), f(or_p)))
  cat(sprintf('    or_fisher=(%s, %s, %s), fisher_p=%s,\n', f(orf[1]), f(orf[2]), f(orf[3]), f(ft$p.value)))
  cat(sprintf('    fisher_test=(%s, %s, %s),\n', f(ft$estimate), f(ft$conf.int[1]), f(ft$conf.int[2])))
  cat(sprintf('    chi2_yates=(%s, %s), chi2=(%s, %s),\n', f(cy$statistic), f(cy$p.value), f(cn$statistic), f(cn$p.value)))
  cat(sprintf('    prop_test_ci=(%s, %s),\n', f(pt$conf.int[1]), f(pt$conf.int[2])))
  cat(sprintf('    rd_wald=(%s, %s, %s), rd_wald_p=%s,\n', f(rd[1]), f(rd[2]), f(rd[3]), f(rd_p)))
  cat(sprintf('    rd_newcombe=(%s, %s)),\n', f(nc[1]), f(nc[2])))
}

# Mantel-Haenszel risk ratio with the Greenland-Robins (1985) variance, by hand, and the
# Cochran-Mantel-Haenszel test from stats::mantelhaen.test (with and without continuity correction).
mh <- function(a, n1, b, n0) {
  N <- n1 + n0; m1 <- a + b
  R <- sum(a * n0 / N); S <- sum(b * n1 / N)
  v <- sum((n1 * n0 * m1 - a * b * N) / N^2) / (R * S)
  est <- R / S
  c(est, exp(log(est) + c(-1, 1) * z * sqrt(v)))
}
strata <- list(
  three_sites = data.frame(a = c(10, 8, 12), n1 = c(40, 30, 44), b = c(9, 11, 7), n0 = c(41, 39, 42)),
  with_zero = data.frame(a = c(0, 5, 9, 3), n1 = c(5, 20, 33, 12), b = c(1, 3, 6, 0), n0 = c(6, 21, 30, 11)),
  six_sites = data.frame(a = c(12, 15, 9, 14, 11, 9), n1 = c(24, 25, 23, 24, 23, 23),
                         b = c(10, 11, 8, 13, 9, 9), n0 = c(22, 23, 23, 22, 23, 23))
)
for (nm in names(strata)) {
  d <- strata[[nm]]
  arr <- array(0, dim = c(2, 2, nrow(d)))
  for (k in seq_len(nrow(d))) arr[, , k] <- matrix(c(d$a[k], d$n1[k] - d$a[k], d$b[k], d$n0[k] - d$b[k]), 2, byrow = TRUE)
  m <- mh(d$a, d$n1, d$b, d$n0)
  t1 <- mantelhaen.test(arr, correct = TRUE); t0 <- mantelhaen.test(arr, correct = FALSE)
  cat(sprintf('"%s": dict(mh_rr=(%s, %s, %s), cmh_correct=(%s, %s), cmh=(%s, %s), mh_or=%s),\n', nm,
      f(m[1]), f(m[2]), f(m[3]), f(t1$statistic), f(t1$p.value), f(t0$statistic), f(t0$p.value), f(t1$estimate)))
}

# Haldane-Anscombe: 0.5 added to every cell of a table with a zero cell (epitools accepts
# non-integer cells; the test asks trialkit for correction=0.5).
for (nm in c("newcombe_d", "zero_arm1")) {
  v <- cases[[nm]]; a <- v[1]; n1 <- v[2]; b <- v[3]; n2 <- v[4]
  tab <- matrix(c(n2 - b, b, n1 - a, a), nrow = 2, byrow = TRUE) + 0.5
  rr <- suppressWarnings(riskratio(tab, method = "wald")$measure[2, ])
  orw <- suppressWarnings(oddsratio(tab, method = "wald")$measure[2, ])
  cat(sprintf('"%s": dict(rr=(%s, %s, %s), or_=(%s, %s, %s)),\n', nm,
      f(rr[1]), f(rr[2]), f(rr[3]), f(orw[1]), f(orw[2]), f(orw[3])))
}

# Koopman (1984) asymptotic score interval for the risk ratio, by hand: the set of phi whose
# score statistic (constrained MLE under p1 = phi * p2, Miettinen-Nurminen without the
# N/(N-1) factor) stays below qchisq(0.95, 1); limits by uniroot on log(phi).
koopman <- function(x1, n1, x2, n2, level = 0.95) {
  stat <- function(phi) {
    N <- n1 + n2; A <- N * phi; B <- -(n1 * phi + x1 + n2 + x2 * phi); C <- x1 + x2
    p2 <- (-B - sqrt(B^2 - 4 * A * C)) / (2 * A); p1 <- phi * p2
    (x1 / n1 - phi * x2 / n2)^2 / (p1 * (1 - p1) / n1 + phi^2 * p2 * (1 - p2) / n2)
  }
  crit <- qchisq(level, 1); est <- (x1 / n1) / (x2 / n2)
  g <- function(l) stat(exp(l)) - crit
  lo <- if (x1 == 0) 0 else exp(uniroot(g, c(log(est) - 30, log(est)), tol = 1e-13)$root)
  hi <- if (x2 == 0) Inf else exp(uniroot(g, c(log(max(est, 1e-300)), log(est) + 30), tol = 1e-13)$root)
  c(lo, hi)
}
for (nm in c("imicro_death", "imicro_sae", "newcombe_a", "newcombe_b", "newcombe_c", "small", "equal", "rare", "large")) {
  v <- cases[[nm]]
  k <- koopman(v[1], v[2], v[3], v[4])
  cat(sprintf('"%s": (%s, %s),\n', nm, f(k[1]), f(k[2])))
}
k <- koopman(10, 10, 5, 20)  # every patient of arm 1 had the event
cat(sprintf('"all_events_arm1": (%s, %s),\n', f(k[1]), f(k[2])))

# A single possible table: no event in either arm, or every patient with the event. All
# margins are fixed, so the conditional likelihood does not depend on the odds ratio.
# fisher.test returns estimate 0 (its mle() tests x == lo before x == hi, and lo == hi
# here), conf.int (0, Inf) and p = 1; trialkit keeps the estimate NaN, with a warning.
for (v in list(c(0, 3, 0, 4), c(3, 3, 4, 4), c(0, 10, 0, 12))) {
  ft <- fisher.test(matrix(c(v[1], v[2] - v[1], v[3], v[4] - v[3]), 2, byrow = TRUE))
  cat(sprintf('(%d, %d, %d, %d): dict(estimate=%s, conf_int=(%s, %s), p=%s),\n', v[1], v[2], v[3], v[4],
      f(ft$estimate), f(ft$conf.int[1]), f(ft$conf.int[2]), f(ft$p.value)))
}
