# Reference values for tests/test_stats_composite.py and tests/test_stats_wins.py.
# Run: Rscript tests/R/composite.R   (R 4.2, stats; pROC 1.18)
# Prints Python dict literals; the test files hold these values verbatim.
# Data are deterministic formulas, written the same way in the Python tests:
#   gold(n, s) = ((1:n) * 0.6180339887498949 + s) %% 1
#   cont(n, s) = qnorm(gold(n, s));  ints(n, s, k) = floor(gold(n, s) * k)
suppressPackageStartupMessages(library(pROC))
gold <- function(n, s) ((1:n) * 0.6180339887498949 + s) %% 1
cont <- function(n, s) qnorm(gold(n, s))
ints <- function(n, s, k) floor(gold(n, s) * k)
f <- function(v) if (is.na(v)) "nan" else sprintf("%.15g", v)
z <- qnorm(0.975)

# Probability index P(X > Y) + P(X = Y)/2 of x over y: pROC's AUC with cases = x, and its
# DeLong variance; the logit interval is computed here by hand from that variance.
pindex <- function(x, y) {
  r <- roc(controls = y, cases = x, direction = "<", quiet = TRUE)
  th <- as.numeric(auc(r)); v <- var(r, method = "delong")
  ci <- as.numeric(ci.auc(r, method = "delong"))
  se <- sqrt(v); h <- z * se / (th * (1 - th))
  w <- suppressWarnings(wilcox.test(x, y))
  list(estimate = th, se = se, wald = c(ci[1], ci[3]),
       logit = plogis(qlogis(th) + c(-1, 1) * h), p = w$p.value, W = unname(w$statistic))
}
emit <- function(nm, r, extra = "") {
  cat(sprintf(paste0('    "%s": dict(estimate=%s, se=%s, wald=(%s, %s), logit=(%s, %s), ',
                     'p_value=%s, statistic=%s%s),\n'),
              nm, f(r$estimate), f(r$se), f(r$wald[1]), f(r$wald[2]), f(r$logit[1]),
              f(r$logit[2]), f(r$p), f(r$W), extra))
}

cat("PINDEX = {\n")
cases <- list(
  cont_30_25 = list(x = cont(30, 0.1) + 0.4, y = cont(25, 0.2)),
  exact_12_9 = list(x = cont(12, 0.3) + 0.8, y = cont(9, 0.4)),
  ties_80_75 = list(x = ints(80, 0.5, 6), y = ints(75, 0.6, 5)),
  sofa_114_122 = list(x = ints(114, 0.12, 12) - ints(114, 0.81, 6),
                      y = ints(122, 0.33, 12) - ints(122, 0.27, 5)),
  unequal_spread = list(x = 3 * cont(60, 0.7), y = cont(40, 0.8) + 0.2)
)
for (nm in names(cases)) emit(nm, pindex(cases[[nm]]$x, cases[[nm]]$y))
cat("}\n")

# Worst rank (Lachin 1999): deaths below survivors, earlier deaths lower; survivors by the
# endpoint, higher worse. Ranks built here with rank() on a two-key order, independently of
# the Python construction.
wr_data <- function(n, s, pdeath) {
  u <- gold(n, s); dead <- u < pdeath
  day <- ifelse(dead, floor(gold(n, s + 0.37) * 28), NA)
  val <- ints(n, s + 0.11, 15) - ints(n, s + 0.53, 4)
  list(dead = dead, day = day, val = val)
}
worst_ranks <- function(dead, day, val) {
  # key: deaths get -1000 + day (below any survivor), survivors -val (higher SOFA worse)
  key <- ifelse(dead, -1000 + day, -val)
  rank(key)
}
cat("WORST_RANK = {\n")
wcases <- list(imicro_like = list(n1 = 114, s1 = 0.05, n0 = 122, s0 = 0.45, p1 = 0.42, p0 = 0.39),
               small = list(n1 = 15, s1 = 0.21, n0 = 13, s0 = 0.63, p1 = 0.3, p0 = 0.45),
               many_deaths = list(n1 = 70, s1 = 0.77, n0 = 66, s0 = 0.15, p1 = 0.7, p0 = 0.6))
for (nm in names(wcases)) {
  a <- wcases[[nm]]
  d1 <- wr_data(a$n1, a$s1, a$p1); d0 <- wr_data(a$n0, a$s0, a$p0)
  rk <- worst_ranks(c(d1$dead, d0$dead), c(d1$day, d0$day), c(d1$val, d0$val))
  r <- pindex(rk[1:a$n1], rk[-(1:a$n1)])
  emit(nm, r, sprintf(", deaths_x=%d, deaths_y=%d, rank_sum_x=%s", sum(d1$dead), sum(d0$dead),
                      f(sum(rk[1:a$n1]))))
}
cat("}\n")

# DOOR: categories 1 (best) .. 5; the probability index of "lower is better".
cat("DOOR = {\n")
c1 <- 1 + ints(140, 0.31, 5); c0 <- 1 + pmin(4, ints(137, 0.72, 5) + (gold(137, 0.9) < 0.2))
emit("five_levels", pindex(-c1, -c0))
cat("}\n")

# Generalized pairwise comparisons by brute force over all pairs (outer()), an oracle
# independent of the sort-based Python code: level 1 death by day 28 (earlier worse; follow-up
# complete unless censored before 28, Gehan rule: a censored patient beats a death only before
# its last contact day); level 2 the endpoint, lower better, ties within `thr` passed on.
gpc <- function(dd1, fu1, v1, dd0, fu0, v0, H, thr) {
  S <- function(dd, fu) ifelse(!is.na(dd) & dd <= H, dd, ifelse(fu >= H | !is.na(dd), H + 0.5, fu))
  D <- function(dd) !is.na(dd) & dd <= H
  s1 <- S(dd1, fu1); s0 <- S(dd0, fu0); e1 <- D(dd1); e0 <- D(dd0)
  win1 <- outer(s1, s0, function(a, b) a > b) & outer(e1, e0, function(a, b) b)
  loss1 <- outer(s1, s0, function(a, b) b > a) & outer(e1, e0, function(a, b) a)
  undec <- !win1 & !loss1
  win2 <- undec & outer(v1, v0, function(a, b) b - a > thr)
  loss2 <- undec & outer(v1, v0, function(a, b) a - b > thr)
  W <- win1 | win2; L <- loss1 | loss2
  n <- length(v1); m <- length(v0)
  pw <- mean(W); pl <- mean(L)
  # Bebu-Lachin / DeLong covariance of (pw, pl) from the placements (denominator n - 1).
  Sx <- cov(cbind(rowMeans(W), rowMeans(L))); Sy <- cov(cbind(colMeans(W), colMeans(L)))
  V <- Sx / n + Sy / m
  vl <- V[1, 1] / pw^2 + V[2, 2] / pl^2 - 2 * V[1, 2] / (pw * pl)
  vnb <- V[1, 1] + V[2, 2] - 2 * V[1, 2]
  nb <- pw - pl; wo <- (1 + nb) / (1 - nb); vlo <- 4 * vnb / (1 - nb^2)^2
  c(wins = sum(W), losses = sum(L), wins_1 = sum(win1), losses_1 = sum(loss1),
    wr = pw / pl, wr_lo = exp(log(pw / pl) - z * sqrt(vl)), wr_hi = exp(log(pw / pl) + z * sqrt(vl)),
    wo = wo, wo_lo = exp(log(wo) - z * sqrt(vlo)), wo_hi = exp(log(wo) + z * sqrt(vlo)),
    nb = nb, nb_lo = nb - z * sqrt(vnb), nb_hi = nb + z * sqrt(vnb),
    p_wr = 2 * pnorm(-abs(log(pw / pl)) / sqrt(vl)), p_nb = 2 * pnorm(-abs(nb) / sqrt(vnb)))
}
gpc_data <- function(n, s, pdeath, pcens) {
  u <- gold(n, s); dead <- u < pdeath
  dd <- ifelse(dead, floor(gold(n, s + 0.29) * 35), NA)   # some deaths after day 28
  fu <- ifelse(gold(n, s + 0.61) < pcens, floor(gold(n, s + 0.83) * 28), 28)
  v <- ints(n, s + 0.17, 13) - ints(n, s + 0.47, 5)
  list(dd = dd, fu = fu, v = v)
}
cat("GPC = {\n")
gcases <- list(complete_thr2 = list(n1 = 114, s1 = 0.05, n0 = 122, s0 = 0.45, thr = 2, pc = 0),
               censored_thr0 = list(n1 = 90, s1 = 0.13, n0 = 85, s0 = 0.58, thr = 0, pc = 0.1),
               censored_thr1 = list(n1 = 40, s1 = 0.71, n0 = 47, s0 = 0.36, thr = 1, pc = 0.15))
for (nm in names(gcases)) {
  a <- gcases[[nm]]
  d1 <- gpc_data(a$n1, a$s1, 0.4, a$pc); d0 <- gpc_data(a$n0, a$s0, 0.45, a$pc)
  r <- gpc(d1$dd, d1$fu, d1$v, d0$dd, d0$fu, d0$v, 28, a$thr)
  cat(sprintf('    "%s": dict(%s),\n', nm,
              paste(sprintf("%s=%s", names(r), sapply(r, f)), collapse = ", ")))
}
cat("}\n")
