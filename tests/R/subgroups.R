# Reference values for tests/test_stats_subgroups.py.
# Run: Rscript tests/R/subgroups.R   (R 4.x; stats, metafor 4.x for a second Q)
# Prints Python literals; the test file holds them verbatim. Arm 1 = arm == 1 (x), arm 2 = 0 (y).
suppressPackageStartupMessages(library(metafor))

f <- function(x) ifelse(is.na(x), "NAN", sprintf("%.12g", x))
vec <- function(x) paste0("(", paste(f(x), collapse = ", "), ")")

# Integer-driven generator, reproduced line by line in the Python test (gen()).
gen <- function(n) {
  i <- 0:(n - 1)
  arm <- (i %/% 3 + i %/% 29) %% 2
  site <- c("A", "B", "C")[(i %/% 2) %% 3 + 1]
  base <- 4 + (i * 11) %% 13                       # baseline SOFA, 4 to 16
  u <- ((i * 7919) %% 997) / 997
  dead <- as.integer(u < 0.30 + 0.03 * (base - 10) - 0.12 * arm * (base >= 10))
  y <- -2 + 0.5 * (base - 10) - 1.0 * arm + 1.5 * arm * (site == "C") + (u * 8 - 4)
  yi <- floor(y + 0.5)                             # integer outcome (ties), as SOFA points
  data.frame(arm = arm, site = site, base = base, dead = dead, y = y, yi = yi)
}

# The subgroup variable: site by its levels, baseline SOFA split at 10 (>= 10 is the upper level).
sub_of <- function(d, by) if (by == "site") factor(d$site) else factor(ifelse(d$base >= 10, ">= 10", "< 10"), levels = c("< 10", ">= 10"))

# --- risk ratio: log-Wald within levels; Cochran Q by hand, metafor FE QE, log-binomial glm ---
rr_case <- function(d, by) {
  s <- sub_of(d, by)
  a <- tapply(d$dead[d$arm == 1], s[d$arm == 1], sum); n1 <- tapply(d$arm == 1, s, sum)
  b <- tapply(d$dead[d$arm == 0], s[d$arm == 0], sum); n2 <- tapply(d$arm == 0, s, sum)
  lrr <- log((a / n1) / (b / n2)); v <- 1 / a - 1 / n1 + 1 / b - 1 / n2
  z <- qnorm(0.975)
  w <- 1 / v; q <- sum(w * (lrr - sum(w * lrr) / sum(w))^2); k <- length(lrr)
  # Levels whose log RR is undefined (a zero count) left out, as trialkit does without correction.
  ok <- is.finite(v) & is.finite(lrr); wk <- w[ok]; lk <- lrr[ok]
  q_def <- sum(wk * (lk - sum(wk * lk) / sum(wk))^2)
  es <- escalc(measure = "RR", ai = a, n1i = n1, ci = b, n2i = n2)
  fe <- rma(yi, vi, data = es, method = "FE")
  sub <- s; arm <- d$arm; dead <- d$dead
  # Converged tightly (epsilon 1e-14, not glm's 1e-8), so that the comparison is of the tests.
  fit <- glm(dead ~ arm * sub, family = binomial(link = "log"),
             start = c(log(mean(dead[arm == 0 & sub == levels(sub)[1]])), rep(0, 2 * k - 1)),
             control = glm.control(epsilon = 1e-14, maxit = 200))
  idx <- grep(":", names(coef(fit)))
  bi <- coef(fit)[idx]; wald <- drop(t(bi) %*% solve(vcov(fit)[idx, idx, drop = FALSE]) %*% bi)
  add <- glm(dead ~ arm + sub, family = binomial(link = "log"), start = coef(fit)[-idx],
             control = glm.control(epsilon = 1e-14, maxit = 200))
  lrt <- anova(add, fit, test = "Chisq")
  cat(sprintf('    "%s": dict(\n', by))
  cat(sprintf('        levels=%s,\n', paste0("(", paste0('"', levels(s), '"', collapse = ", "), ")")))
  cat(sprintf('        a=%s, n1=%s, b=%s, n2=%s,\n', vec(a), vec(n1), vec(b), vec(n2)))
  cat(sprintf('        rr=%s,\n', vec(exp(lrr))))
  cat(sprintf('        ci_low=%s,\n', vec(exp(lrr - z * sqrt(v)))))
  cat(sprintf('        ci_high=%s,\n', vec(exp(lrr + z * sqrt(v)))))
  cat(sprintf('        p=%s,\n', vec(2 * pnorm(-abs(lrr / sqrt(v))))))
  cat(sprintf('        q=%s, q_df=%d, q_p=%s,\n', f(q), k - 1, f(pchisq(q, k - 1, lower.tail = FALSE))))
  cat(sprintf('        q_defined=%s, q_defined_df=%d, q_defined_p=%s,\n', f(q_def), sum(ok) - 1,
              f(pchisq(q_def, sum(ok) - 1, lower.tail = FALSE))))
  # metafor's escalc adds 1/2 to the four cells of a level with a zero cell (to = "only0").
  cat(sprintf('        metafor_qe=%s, metafor_qep=%s,\n', f(fe$QE), f(fe$QEp)))
  cat(sprintf('        glm_converged=%s, glm_wald=%s, glm_wald_p=%s,\n', ifelse(fit$converged, "True", "False"),
              f(wald), f(pchisq(wald, k - 1, lower.tail = FALSE))))
  cat(sprintf('        glm_lrt=%s, glm_lrt_p=%s,\n    ),\n', f(lrt$Deviance[2]), f(lrt$`Pr(>Chi)`[2])))
}

# --- mean difference: t.test(var.equal = TRUE) within levels; anova(lm additive, lm interaction) ---
md_case <- function(d, by) {
  s <- sub_of(d, by)
  est <- lo <- hi <- p <- c()
  for (l in levels(s)) {
    t <- t.test(d$y[d$arm == 1 & s == l], d$y[d$arm == 0 & s == l], var.equal = TRUE)
    est <- c(est, unname(t$estimate[1] - t$estimate[2])); lo <- c(lo, t$conf.int[1])
    hi <- c(hi, t$conf.int[2]); p <- c(p, t$p.value)
  }
  y <- d$y; arm <- d$arm; sub <- s
  av <- anova(lm(y ~ arm + sub), lm(y ~ arm * sub))
  cat(sprintf('    "%s": dict(\n', by))
  cat(sprintf('        estimate=%s,\n        ci_low=%s,\n        ci_high=%s,\n        p=%s,\n',
              vec(est), vec(lo), vec(hi), vec(p)))
  cat(sprintf('        f=%s, df=%d, df_resid=%d, f_p=%s,\n    ),\n', f(av$F[2]), av$Df[2], av$Res.Df[2],
              f(av$`Pr(>F)`[2])))
}

# --- Hodges-Lehmann: wilcox.test(conf.int = TRUE) within levels ---
hl_case <- function(d, by) {
  s <- sub_of(d, by)
  est <- lo <- hi <- p <- med <- mid_lo <- mid_hi <- c()
  for (l in levels(s)) {
    x <- d$yi[d$arm == 1 & s == l]; y <- d$yi[d$arm == 0 & s == l]
    w <- suppressWarnings(wilcox.test(x, y, conf.int = TRUE))
    est <- c(est, unname(w$estimate)); lo <- c(lo, w$conf.int[1]); hi <- c(hi, w$conf.int[2])
    p <- c(p, w$p.value); dd <- sort(outer(x, y, "-")); med <- c(med, median(dd))
    # Where the uncorrected statistic is zero: between the two middle differences, the
    # interval on which R's uniroot may stop.
    m <- length(dd); mid_lo <- c(mid_lo, dd[ceiling(m / 2)]); mid_hi <- c(mid_hi, dd[floor(m / 2) + 1])
  }
  cat(sprintf('    "%s": dict(\n', by))
  cat(sprintf('        estimate=%s,\n        median_diff=%s,\n        mid_low=%s,\n        mid_high=%s,\n        ci_low=%s,\n        ci_high=%s,\n        p=%s,\n    ),\n',
              vec(est), vec(med), vec(mid_lo), vec(mid_hi), vec(lo), vec(hi), vec(p)))
}

# --- the permutation test of equal HL shifts, by full enumeration (trialkit's algorithm) ---
# T = sum_l w_l (D_l - Dbar)^2, w_l = nx ny / (nx + ny), D_l = median(outer(x, y, "-"));
# arm 1 aligned by Dbar; arm labels permuted within levels; p = share of arrangements with
# T* >= T (all arrangements, the observed one included).
perm_exact <- function(xs, ys) {
  hl <- function(x, y) median(outer(x, y, "-"))
  w <- mapply(function(x, y) length(x) * length(y) / (length(x) + length(y)), xs, ys)
  disp <- function(D) sum(w * (D - sum(w * D) / sum(w))^2)
  D <- mapply(hl, xs, ys); t_obs <- disp(D); common <- sum(w * D) / sum(w)
  shifts <- list()
  for (l in seq_along(xs)) {
    z <- c(xs[[l]] - common, ys[[l]]); m <- length(xs[[l]])
    cmb <- combn(length(z), m)
    shifts[[l]] <- apply(cmb, 2, function(i) hl(z[i], z[-i]))
  }
  grid <- as.matrix(expand.grid(lapply(shifts, seq_along)))
  stat <- apply(grid, 1, function(r) disp(mapply(function(s, j) s[j], shifts, r)))
  c(t_obs, mean(stat >= t_obs - 1e-9 * max(abs(t_obs), 1)), nrow(grid))
}

cat("# Rscript tests/R/subgroups.R\n")
for (nm in c("main", "small")) {
  d <- gen(if (nm == "main") 240 else 60)
  cat(sprintf('RR_%s = {\n', toupper(nm))); for (by in c("site", "sofa10")) rr_case(d, by); cat("}\n")
  cat(sprintf('MD_%s = {\n', toupper(nm))); for (by in c("site", "sofa10")) md_case(d, by); cat("}\n")
  cat(sprintf('HL_%s = {\n', toupper(nm))); for (by in c("site", "sofa10")) hl_case(d, by); cat("}\n")
}

# A level with patients of one arm only (site B without arm 0): R aliases its interaction term;
# its patients still count in the residual variance.
d <- gen(240); d <- d[!(d$site == "B" & d$arm == 0), ]
y <- d$y; arm <- d$arm; sub <- factor(d$site)
av <- anova(lm(y ~ arm + sub), lm(y ~ arm * sub))
cat(sprintf('MD_ONE_ARM = dict(f=%s, df=%d, df_resid=%d, f_p=%s)\n', f(av$F[2]), av$Df[2], av$Res.Df[2],
            f(av$`Pr(>F)`[2])))

tiny <- list(
  two = list(xs = list(c(3.1, 5.2, 4.4, 7.9), c(2.2, 6.6, 1.3)),
             ys = list(c(1.5, 2.8, 0.7), c(4.1, 3.3, 5.8, 2.9))),
  three = list(xs = list(c(1.2, 3.4, 2.9), c(6.1, 4.4, 5.5), c(0.3, 2.2, 1.9)),
               ys = list(c(0.8, 1.1, 2.5), c(2.1, 3.9, 1.7), c(2.4, 0.6, 3.1))),
  ties = list(xs = list(c(2, 3, 3, 5), c(1, 4, 4)), ys = list(c(1, 1, 2), c(3, 3, 4, 6)))
)
cat("PERM_EXACT = {\n")
for (nm in names(tiny)) {
  r <- perm_exact(tiny[[nm]]$xs, tiny[[nm]]$ys)
  cat(sprintf('    "%s": dict(statistic=%s, p=%s, arrangements=%d),\n', nm, f(r[1]), f(r[2]), r[3]))
}
cat("}\n")

# The hand-worked F test of test_anova_f_hand_worked: two levels, two patients per cell.
y <- c(1.5, 2.5, 0.5, 1.5, 5.5, 6.5, 0.5, 1.5); arm <- c(1, 1, 0, 0, 1, 1, 0, 0)
sub <- factor(rep(c("L0", "L1"), each = 4))
av <- anova(lm(y ~ arm + sub), lm(y ~ arm * sub))
cat(sprintf('HAND_F = dict(f=%s, df=%d, df_resid=%d, f_p=%s)\n', f(av$F[2]), av$Df[2], av$Res.Df[2],
            f(av$`Pr(>F)`[2])))
