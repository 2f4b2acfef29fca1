# Reference values for tests/test_stats_bayes.py.
# Run: Rscript tests/R/bayes.R   (R 4.2, rstanarm 2.21, BayesFactor 0.9.12; about a minute)
# 1. rstanarm: the full binomial model with a normal prior on the arm coefficient (log OR with
#    the logit link, log RR with the log link), seeded; Monte Carlo error stated beside.
# 2. The exact beta-binomial posterior of the risk ratio by numerical integration, and a seeded
#    Monte Carlo check of it.
# 3. BayesFactor::ttestBF (JZS, rscale 0.707); the beta-prior binomial Bayes factor by
#    integrate() (BayesFactor::proportionBF uses a logistic prior on the log odds instead, so it
#    is printed for the record only).
suppressPackageStartupMessages({library(rstanarm); library(BayesFactor)})
f <- function(v) if (is.na(v)) "nan" else sprintf("%.15g", v)
z05 <- qnorm(0.95)
trials <- list(imicro = c(48, 114, 47, 122), eolia = c(44, 124, 57, 125))
mcid <- 0.67   # ratio scale; priors: skeptical N(0, |log mcid| / z_0.95)
cat("R_STAN = {\n")
for (nm in names(trials)) {
  v <- trials[[nm]]
  d <- data.frame(arm = c(1, 0), dead = c(v[1], v[3]), alive = c(v[2] - v[1], v[4] - v[3]))
  for (link in c("logit", "log")) {
    for (pr in c("skeptical", "enthusiastic")) {
      m <- if (pr == "skeptical") 0 else log(mcid)
      s <- abs(log(mcid)) / z05
      fit <- suppressWarnings(stan_glm(cbind(dead, alive) ~ arm, data = d,
                                       family = binomial(link = link),
                                       prior = normal(m, s, autoscale = FALSE),
                                       prior_intercept = normal(if (link == "log") -1 else 0, 5,
                                                                autoscale = FALSE),
                                       seed = 20261201, chains = 4, iter = 6000, refresh = 0,
                                       init = if (link == "log") 0 else "random"))
      b <- as.matrix(fit)[, "arm"]
      cat(sprintf(paste0('    ("%s", "%s", "%s"): dict(median=%s, ci_low=%s, ci_high=%s, ',
                         'p_benefit=%s, p_mcid=%s, draws=%d),\n'),
                  nm, link, pr, f(exp(median(b))), f(exp(quantile(b, 0.025))),
                  f(exp(quantile(b, 0.975))), f(mean(b < 0)), f(mean(b < log(mcid))), length(b)))
    }
  }
}
cat("}\n")

# Exact posterior of RR = p1 / p2 with independent Beta(1, 1) priors on the risks.
prr <- function(r, a, n1, b, n2) integrate(function(p2) pbeta(pmin(r * p2, 1), a + 1, n1 - a + 1) *
                                              dbeta(p2, b + 1, n2 - b + 1), 0, 1,
                                            rel.tol = 1e-12)$value
qrr <- function(q, a, n1, b, n2) uniroot(function(r) prr(r, a, n1, b, n2) - q, c(1e-3, 1e3),
                                         tol = 1e-13)$root
cat("R_BETA_BINOMIAL = {\n")
set.seed(20261201)
for (nm in names(trials)) {
  v <- trials[[nm]]
  rr <- rbeta(2e6, v[1] + 1, v[2] - v[1] + 1) / rbeta(2e6, v[3] + 1, v[4] - v[3] + 1)
  cat(sprintf(paste0('    "%s": dict(median=%s, ci_low=%s, ci_high=%s, p_benefit=%s, p_mcid=%s, ',
                     'p_harm_mc=%s, median_mc=%s),\n'), nm,
              f(qrr(0.5, v[1], v[2], v[3], v[4])), f(qrr(0.025, v[1], v[2], v[3], v[4])),
              f(qrr(0.975, v[1], v[2], v[3], v[4])), f(prr(1, v[1], v[2], v[3], v[4])),
              f(prr(mcid, v[1], v[2], v[3], v[4])), f(mean(rr > 1)), f(median(rr))))
}
cat("}\n")

gold <- function(n, s) ((1:n) * 0.6180339887498949 + s) %% 1
cat("R_TTEST_BF = {\n")
tt <- list(sofa_like = list(x = qnorm(gold(114, 0.1)) * 3 + 0.5, y = qnorm(gold(122, 0.2)) * 3),
           small = list(x = qnorm(gold(12, 0.3)) + 1, y = qnorm(gold(10, 0.4))),
           null_like = list(x = qnorm(gold(200, 0.5)), y = qnorm(gold(190, 0.6)) + 0.01))
for (nm in names(tt)) {
  bf <- extractBF(ttestBF(tt[[nm]]$x, tt[[nm]]$y, rscale = "medium"))$bf
  t <- t.test(tt[[nm]]$x, tt[[nm]]$y, var.equal = TRUE)$statistic
  cat(sprintf('    "%s": dict(bf10=%s, t=%s),\n', nm, f(bf), f(t)))
}
cat("}\n")
cat("R_BINOM_BF = {\n")
for (k in list(c(115, 200, 0.5), c(48, 114, 0.4), c(3, 20, 0.3))) {
  num <- integrate(function(p) dbinom(k[1], k[2], p), 0, 1, rel.tol = 1e-12)$value
  bf <- num / dbinom(k[1], k[2], k[3])
  pbf <- extractBF(proportionBF(k[1], k[2], p = k[3]))$bf
  cat(sprintf('    (%d, %d, %s): dict(bf10=%s, proportionBF_logistic_prior=%s),\n', k[1], k[2],
              f(k[3]), f(bf), f(pbf)))
}
cat("}\n")
