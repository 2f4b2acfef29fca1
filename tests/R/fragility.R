# Reference values for tests/test_stats_fragility.py.
# Run: Rscript tests/R/fragility.R   (R 4.2, stats)
# The fragility index walk (Walsh 2014) and the reverse walk, written independently here with
# fisher.test and chisq.test; prints one Python dict literal per table and test.
pval <- function(a, n1, b, n2, test) {
  m <- matrix(c(a, n1 - a, b, n2 - b), 2, byrow = TRUE)
  if (test == "fisher") return(fisher.test(m)$p.value)
  if (a + b == 0 || a + b == n1 + n2) return(1)
  suppressWarnings(chisq.test(m, correct = test == "chi2_yates")$p.value)
}
walk <- function(a, n1, b, n2, arm, step, test, want_sig) {
  k <- 0
  repeat {
    k <- k + 1
    aa <- if (arm == 1) a + step * k else a; bb <- if (arm == 2) b + step * k else b
    if (aa < 0 || aa > n1 || bb < 0 || bb > n2) return(NULL)
    p <- pval(aa, n1, bb, n2, test)
    if ((p < 0.05) == want_sig) return(c(k, aa, bb, p, arm))
  }
}
fi <- function(a, n1, b, n2, test) {
  p0 <- pval(a, n1, b, n2, test); sig <- p0 < 0.05
  if (sig) {
    arms <- if (a < b) 1 else if (b < a) 2 else c(1, 2)
    tries <- lapply(arms, function(arm) walk(a, n1, b, n2, arm, +1, test, FALSE))
  } else {
    low <- if (a <= b) 1 else 2; high <- 3 - low
    tries <- list(walk(a, n1, b, n2, low, -1, test, TRUE), walk(a, n1, b, n2, high, +1, test, TRUE))
  }
  tries <- Filter(Negate(is.null), tries)
  best <- if (length(tries)) tries[[which.min(sapply(tries, `[`, 1))]] else rep(NA, 5)
  c(p0 = p0, index = best[1], a_final = best[2], b_final = best[3], p_final = best[4], arm = best[5])
}
f <- function(v) if (is.na(v)) "nan" else sprintf("%.15g", v)
tables <- list(
  hand_0_5_5_5 = c(0, 5, 5, 5),
  imicro_death = c(48, 114, 47, 122),       # not significant: reverse index
  imicro_sae = c(17, 114, 8, 122),          # Fisher p = 0.055, chi-squared p = 0.037
  eolia_60d = c(44, 124, 57, 125),          # EOLIA 60-day deaths (Combes 2018), ECMO vs control
  significant_200 = c(10, 200, 28, 200),
  large_3000 = c(300, 3000, 370, 3000),
  equal_events = c(20, 100, 20, 40)
)
cat("R_FRAGILITY = {\n")
for (nm in names(tables)) {
  v <- tables[[nm]]
  for (test in c("fisher", "chi2", "chi2_yates")) {
    r <- fi(v[1], v[2], v[3], v[4], test)
    cat(sprintf('    ("%s", "%s"): dict(%s),\n', nm, test,
                paste(sprintf("%s=%s", names(r), sapply(r, f)), collapse = ", ")))
  }
}
cat("}\n")
