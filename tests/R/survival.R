# Reference values for tests/test_stats_survival.py.
# Run: Rscript tests/R/survival.R   (R 4.x, survival 3.x)
# Prints Python literals; the test file holds them verbatim. group 1 = arm 1 (experimental).
suppressPackageStartupMessages(library(survival))

f <- function(x) ifelse(is.na(x), "NAN", ifelse(is.infinite(x), ifelse(x > 0, "INF", "-INF"), sprintf("%.12g", x)))
vec <- function(x) paste0("[", paste(f(x), collapse = ", "), "]")

# Integer-only generator, reproduced in the Python test (no random numbers to keep in step):
# integer days, many ties, administrative censoring at day 28, four sites, one covariate.
gen <- function(n) {
  i <- 0:(n - 1)
  group <- i %% 2
  raw <- 1 + (i * 7919) %% (40 + 10 * group)
  event <- as.integer(raw <= 28 & (i * 104729) %% 10 < 6)
  data.frame(time = pmin(raw, 28), event = event, group = group,
             x = (i * 31) %% 17 - 8, site = (i %/% 3) %% 4)
}

sets <- list(
  aml = with(aml, data.frame(time = time, event = status, group = as.integer(x == "Maintained"))),
  tiny = data.frame(time = c(1, 1, 2, 2, 3, 4, 4, 5), event = c(1, 0, 1, 1, 0, 1, 1, 0),
                    group = c(1, 0, 1, 0, 0, 1, 0, 1)),
  same_time = data.frame(time = rep(5, 10), event = c(1, 1, 0, 1, 0, 1, 1, 0, 0, 1),
                         group = rep(0:1, 5)),
  veteran = with(veteran, data.frame(time = time, event = status, group = as.integer(trt == 2),
                                     karno = karno, age = age, celltype = as.character(celltype))),
  no_events_arm1 = data.frame(time = c(2, 4, 5, 6, 7, 8, 9, 10), event = c(1, 1, 0, 1, 0, 0, 0, 0),
                              group = c(0, 0, 0, 0, 1, 1, 1, 1)),
  gen236 = gen(236),
  gen20000 = gen(20000)
)

cat("# --- Kaplan-Meier curves: summary(survfit(Surv(time, event) ~ group, conf.type = ct), censored = TRUE)\n")
for (nm in c("aml", "tiny", "same_time", "veteran")) {
  d <- sets[[nm]]
  for (ct in c("log", "log-log", "plain")) {
    s <- summary(survfit(Surv(time, event) ~ group, data = d, conf.type = ct), censored = TRUE)
    g <- as.integer(sub("group=", "", as.character(s$strata)))
    cat(sprintf('("%s", "%s"): dict(group=%s,\n    time=%s,\n    n_risk=%s,\n    n_event=%s,\n    n_censor=%s,\n    surv=%s,\n    std_err=%s,\n    lower=%s,\n    upper=%s),\n',
        nm, ct, vec(g), vec(s$time), vec(s$n.risk), vec(s$n.event), vec(s$n.censor), vec(s$surv), vec(s$std.err), vec(s$lower), vec(s$upper)))
  }
}

cat("# --- survival at given times: summary(survfit(..., conf.type = 'log'), times = t, extend = TRUE)\n")
for (nm in c("aml", "gen236", "gen20000")) {
  d <- sets[[nm]]
  tt <- if (nm == "aml") c(0, 10, 30, 48, 200) else c(7, 14, 28)
  s <- summary(survfit(Surv(time, event) ~ group, data = d), times = tt, extend = TRUE)
  g <- as.integer(sub("group=", "", as.character(s$strata)))
  cat(sprintf('"%s": dict(group=%s, time=%s, n_risk=%s, surv=%s, lower=%s, upper=%s),\n',
      nm, vec(g), vec(s$time), vec(s$n.risk), vec(s$surv), vec(s$lower), vec(s$upper)))
}

cat("# --- log-rank: survdiff(Surv(time, event) ~ group); Peto O-E/V hazard ratio from its var matrix\n")
for (nm in names(sets)) {
  d <- sets[[nm]]
  sd <- survdiff(Surv(time, event) ~ group, data = d)
  # groups are ordered 0, 1: row 2 is arm 1
  o1 <- sd$obs[2]; e1 <- sd$exp[2]; v <- sd$var[2, 2]
  lhr <- (o1 - e1) / v
  cat(sprintf('"%s": dict(chisq=%s, p=%s, obs=%s, exp=%s, peto_hr=(%s, %s, %s)),\n', nm, f(sd$chisq),
      f(pchisq(sd$chisq, 1, lower.tail = FALSE)), vec(sd$obs), vec(sd$exp),
      f(exp(lhr)), f(exp(lhr - qnorm(0.975) / sqrt(v))), f(exp(lhr + qnorm(0.975) / sqrt(v)))))
}

cat("# --- Cox: coxph(Surv(time, event) ~ group [+ covariates] [+ strata(s)], ties = 'efron'); exp(coef), exp(confint), Wald p\n")
cox <- function(nm, formula) {
  fit <- coxph(formula, data = sets[[nm]], ties = "efron", control = coxph.control(eps = 1e-10, iter.max = 50))
  s <- summary(fit)$coefficients
  ci <- exp(confint(fit))
  cat(sprintf('("%s", "%s"): dict(hr=%s, ci_low=%s, ci_high=%s, p=%s, se=%s),\n', nm, deparse(formula[[3]]),
      f(s["group", "exp(coef)"]), f(ci["group", 1]), f(ci["group", 2]), f(s["group", "Pr(>|z|)"]), f(s["group", "se(coef)"])))
}
for (nm in setdiff(names(sets), "no_events_arm1")) cox(nm, Surv(time, event) ~ group)
cox("veteran", Surv(time, event) ~ group + karno + age)
cox("veteran", Surv(time, event) ~ group + karno + strata(celltype))
cox("veteran", Surv(time, event) ~ group + celltype)
cox("gen236", Surv(time, event) ~ group + x + strata(site))
cox("gen20000", Surv(time, event) ~ group + x)

cat("# --- km_at, log-log, one curve: summary(survfit(Surv(time, status) ~ 1, aml, conf.type = 'log-log'), times = c(0, 10, 200), extend = TRUE)\n")
s <- summary(survfit(Surv(time, status) ~ 1, aml, conf.type = "log-log"), times = c(0, 10, 200), extend = TRUE)
print(cbind(time = s$time, n.risk = s$n.risk, surv = s$surv, lower = s$lower, upper = s$upper), digits = 10)
