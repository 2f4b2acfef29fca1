# Reference values for tests/test_stats_median.py (median regression, bootstrap of the
# difference in medians).  Run: Rscript tests/R/median.R   (R 4.2, quantreg 5.x, boot 1.3)
# Data: deterministic formulas written the same way in the Python test (see tests/R/rank.R):
gold <- function(n, s) ((1:n) * 0.6180339887498949 + s) %% 1
cont <- function(n, s) qnorm(gold(n, s))
ints <- function(n, s, k) floor(gold(n, s) * k)
f <- function(v) sprintf("%.15g", v)
suppressPackageStartupMessages({library(quantreg); library(boot)})

# --- median regression: rq(y ~ g [+ site + sofa0], tau = 0.5), summary(se = "ker")
mk <- function(n, s, shift) {
  g <- as.numeric(gold(n, s + 0.37) < 0.5)
  site <- factor(c("A", "B", "C", "D")[(0:(n - 1)) %% 4 + 1])
  sofa0 <- ints(n, s + 0.11, 15)
  y <- cont(n, s) * 3 + shift * g + 0.4 * sofa0 + c(0, 1, -1, 2)[as.integer(site)]
  data.frame(y = y, g = g, site = site, sofa0 = sofa0)
}
qr_cases <- list(
  qr_group_only_odd = list(d = mk(235, 0.1, 1.5), f = y ~ g),
  qr_site_sofa = list(d = mk(236, 0.2, 1.0), f = y ~ g + site + sofa0),
  qr_sofa_only = list(d = mk(150, 0.3, -0.5), f = y ~ g + sofa0),
  qr_small = list(d = mk(31, 0.4, 2.0), f = y ~ g + sofa0),
  qr_large = list(d = mk(3000, 0.5, 0.3), f = y ~ g + site + sofa0),
  qr_two_odd_arms = list(d = data.frame(y = c(cont(117, 0.21) * 4 + 1, cont(119, 0.61) * 4),
                                        g = rep(1:0, c(117, 119))), f = y ~ g)
)
for (nm in names(qr_cases)) {
  a <- qr_cases[[nm]]
  fit <- rq(a$f, tau = 0.5, data = a$d)
  s <- summary(fit, se = "ker")$coefficients
  cat(sprintf('"%s": dict(estimate=%s, se=%s, t=%s, p_value=%s, n_x=%d, n_y=%d),\n', nm,
              f(s["g", 1]), f(s["g", 2]), f(s["g", 3]), f(s["g", 4]),
              sum(a$d$g == 1), sum(a$d$g == 0)))
}

# --- bootstrap of median(x) - median(y), resampling within arm (strata), B = 100000.
# Monte Carlo band of each limit: the order statistics t[k -/+ 6 * sqrt(B p (1 - p))] around
# its position k = (B + 1) p (p = 0.025/0.975, or BCa's adjusted levels).  Another run with
# the same B lands within it (6 = 4.2 standard errors of the difference of two runs).
bs_cases <- list(
  bs_117_119 = list(x = cont(117, 0.21) * 4 + 1, y = cont(119, 0.61) * 4),
  bs_25_21 = list(x = cont(25, 0.13) + 0.5, y = cont(21, 0.71)),
  bs_61_151 = list(x = cont(61, 0.33) * 2, y = cont(151, 0.44) * 2 - 0.4),
  bs_int_118_118 = list(x = ints(118, 0.3, 20), y = ints(118, 0.8, 18))
)
B <- 100000
for (nm in names(bs_cases)) {
  a <- bs_cases[[nm]]
  d <- data.frame(v = c(a$x, a$y), arm = rep(1:2, c(length(a$x), length(a$y))))
  stat <- function(d, i) {
    di <- d[i, ]
    median(di$v[di$arm == 1]) - median(di$v[di$arm == 2])
  }
  set.seed(20261123)
  b <- boot(d, stat, R = B, strata = d$arm)
  L <- empinf(b, type = "jack")
  perc <- boot.ci(b, type = "perc")$percent[4:5]
  bca <- boot.ci(b, type = "bca", L = L)$bca[4:5]
  ts <- sort(b$t[, 1])
  band <- function(p) {
    k <- (B + 1) * p; s <- 6 * sqrt(B * p * (1 - p))
    sprintf("(%s, %s)", f(ts[max(1, floor(k - s))]), f(ts[min(B, ceiling(k + s))]))
  }
  w <- qnorm(sum(b$t[, 1] < b$t0) / B)
  acc <- sum(L^3) / (6 * sum(L^2)^1.5)
  z <- qnorm(c(0.025, 0.975))
  adj <- pnorm(w + (w + z) / (1 - acc * (w + z)))
  cat(sprintf(paste0('"%s": dict(estimate=%s, perc=(%s, %s), bca=(%s, %s), se=%s,\n',
                     '    perc_band=(%s, %s), bca_band=(%s, %s)),\n'),
              nm, f(b$t0), f(perc[1]), f(perc[2]), f(bca[1]), f(bca[2]), f(sd(b$t[, 1])),
              band(0.025), band(0.975), band(adj[1]), band(adj[2])))
}
