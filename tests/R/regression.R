# Reference values for tests/test_stats_regression.py.
# Run: Rscript tests/R/regression.R   (R 4.x; stats::lm, MASS::polr, ordinal::clm, nlme::lme)
# Prints Python literals; the test file holds them verbatim. arm 1 = the "arm" level 1.
suppressPackageStartupMessages({library(MASS); library(ordinal); library(nlme)})

f <- function(x) ifelse(is.na(x), "NAN", sprintf("%.12g", x))
vec <- function(x) paste0("[", paste(f(x), collapse = ", "), "]")

# Integer-driven generators, reproduced line by line in the Python test.
patients <- function(n) {
  i <- 0:(n - 1)
  arm <- (i %/% 6 + i %/% 37) %% 2
  site <- paste0("S", i %% 6 + 1)
  base <- 2 + (i * 13) %% 15
  noise <- ((i * 7919) %% 997) / 997 * 6 - 3
  y <- 3 + 0.6 * base + 0.3 * (i %% 6) + 0.2 * arm + noise
  fd <- floor(14 + ((i * 7919) %% 997 / 997 - 0.5) * 16 + 3 * arm - 0.3 * (base - 9))
  fd <- pmin(28, pmax(0, fd))
  fd[(i * 104729) %% 10 < 3] <- 0                     # deaths score 0 free days
  data.frame(arm = arm, site = site, base = base, y = y, fd = fd)
}
visits <- function(n_subj) {
  s <- rep(0:(n_subj - 1), each = 4); day <- rep(0:3, n_subj); k <- seq_along(s) - 1
  arm <- s %% 2
  u <- ((s * 31) %% 11) / 2 - 2.5
  noise <- ((k * 7919) %% 101) / 101 * 2 - 1
  y <- 10 + day * (-1 + 0.5 * arm) + u + noise + 0.1 * ((s * 7) %% 5)
  d <- data.frame(id = s, day = day, arm = arm, y = y, age = 40 + (s * 17) %% 40)
  d[!(day > 0 & (k * 13) %% 17 == 0), ]               # some missed visits
}
orthodont <- data.frame(distance = Orthodont$distance, age = Orthodont$age,
                        id = as.character(Orthodont$Subject), sex = as.character(Orthodont$Sex))
small <- data.frame(sofa = c(8, 10, 9, 12, 7, 11, 6, 9), arm = c(1, 1, 1, 1, 0, 0, 0, 0),
                    baseline = c(9, 11, 10, 12, 8, 12, 9, 10))
p278 <- patients(278); p100k <- patients(100000)
cat(sprintf("# checksums: sum(p278$y)=%s sum(p278$fd)=%s sum(visits(60)$y)=%s nrow(visits(60))=%d\n",
            f(sum(p278$y)), f(sum(p278$fd)), f(sum(visits(60)$y)), nrow(visits(60))))

cat("# --- lm: coef, confint and Pr(>|t|) of arm\n")
ols <- function(label, formula, data, term = "arm") {
  fit <- lm(formula, data = data)
  s <- summary(fit)$coefficients; ci <- confint(fit)
  cat(sprintf('"%s": dict(est=%s, ci=(%s, %s), p=%s, se=%s, df=%d),\n', label, f(s[term, 1]),
      f(ci[term, 1]), f(ci[term, 2]), f(s[term, 4]), f(s[term, 2]), fit$df.residual))
}
ols("small_base", sofa ~ arm + baseline, small)
ols("small_none", sofa ~ arm, small)
ols("p278_site_base", y ~ arm + base + factor(site), p278)
ols("p278_none", y ~ arm, p278)
ols("p100k_site_base", y ~ arm + base + factor(site), p100k)
ols("mtcars_am", mpg ~ am + wt + factor(cyl), transform(mtcars, arm = am), "am")
ols("toothgrowth_oj", len ~ arm + dose, transform(ToothGrowth, arm = as.integer(supp == "OJ")))

cat("# --- polr / clm: log OR of arm, SE, Wald CI (confint.default) and p\n")
po <- function(label, formula, data) {
  data$fdf <- factor(data$fd, ordered = TRUE)
  fp <- polr(update(formula, fdf ~ .), data = data, Hess = TRUE, control = list(reltol = 1e-14, maxit = 1000))
  fc <- clm(update(formula, fdf ~ .), data = data, control = clm.control(gradTol = 1e-10))
  sp <- coef(summary(fp)); sc <- coef(summary(fc))
  cat(sprintf('"%s": dict(polr_coef=%s, polr_se=%s, clm_coef=%s, clm_se=%s, clm_p=%s, clm_ci=(%s, %s), n_cat=%d),\n',
      label, f(sp["arm", 1]), f(sp["arm", 2]), f(sc["arm", 1]), f(sc["arm", 2]), f(sc["arm", 4]),
      f(confint.default(fc)["arm", 1]), f(confint.default(fc)["arm", 2]), nlevels(data$fdf)))
}
po("doc10", fd ~ arm, data.frame(fd = c(0, 5, 20, 25, 28, 0, 0, 10, 18, 22), arm = rep(1:0, each = 5)))
po("small4", fd ~ arm, data.frame(fd = c(1, 2, 2, 3, 4, 4, 1, 1, 2, 3, 3, 4, 1, 2), arm = c(rep(1, 6), rep(0, 8))))
po("p278", fd ~ arm, p278)
po("p278_site_base", fd ~ arm + base + site, p278)
po("p2000_base", fd ~ arm + base, patients(2000))

cat("# --- lme(REML), random = ~1 | id: effect of arm at each visit (arm + arm:visit), SE, qnorm CI\n")
mm <- function(label, formula, data, visit) {
  fit <- lme(formula, random = ~ 1 | id, data = data, method = "REML",
             control = lmeControl(tolerance = 1e-10, msTol = 1e-12, niterEM = 100))
  b <- fixef(fit); V <- vcov(fit); nm <- names(b)
  levs <- sort(unique(data[[visit]]))
  arm <- grep("^arm$", nm)
  est <- se <- numeric(length(levs))
  for (j in seq_along(levs)) {
    L <- numeric(length(b)); L[arm] <- 1
    if (j > 1) L[grep(paste0("^arm:factor\\(", visit, "\\)", levs[j], "$"), nm)] <- 1
    est[j] <- sum(L * b); se[j] <- sqrt(drop(t(L) %*% V %*% L))
  }
  z <- qnorm(0.975)
  cat(sprintf('"%s": dict(time=%s, est=%s, se=%s, lo=%s, hi=%s),\n', label, vec(levs), vec(est), vec(se),
      vec(est - z * se), vec(est + z * se)))
}
mm("visits60", y ~ arm * factor(day), visits(60), "day")
mm("visits60_age", y ~ arm * factor(day) + age, visits(60), "day")
mm("orthodont", distance ~ arm * factor(age), transform(orthodont, arm = as.integer(sex == "Male")), "age")
mm("doc6", y ~ arm * factor(day), data.frame(id = rep(0:5, each = 3), day = rep(0:2, 6),
   arm = rep(c(1, 1, 1, 0, 0, 0), each = 3),
   y = c(5, 4, 3, 6, 4, 4, 5, 5, 3, 5, 5, 5, 6, 6, 5, 4, 5, 6)), "day")
mm("doc6b", y ~ arm * factor(day), data.frame(id = rep(0:5, each = 3), day = rep(0:2, 6),
   arm = rep(c(1, 1, 1, 0, 0, 0), each = 3),
   y = c(5, 4, 3, 7, 6, 6, 4, 4, 2, 6, 6, 6, 7, 7, 6, 4, 5, 5)), "day")

cat("# --- missing values: lm, clm and lme drop the incomplete rows (na.action = na.omit)\n")
# R positions (1-based); the Python test sets the same cells by iloc (0-based: minus 1).
p278na <- p278
p278na$y[c(3, 50, 100)] <- NA; p278na$base[c(7, 8, 100)] <- NA; p278na$site[11] <- NA
p278na$fd[c(20, 21)] <- NA
v60na <- visits(60); v60na$y[c(5, 17)] <- NA; v60na$age[30] <- NA
fit <- lm(y ~ arm + base + factor(site), data = p278na)
s <- summary(fit)$coefficients; ci <- confint(fit)
cat(sprintf('"lm_na": dict(est=%s, ci=(%s, %s), p=%s, se=%s, df=%d, n=%d),\n', f(s["arm", 1]),
    f(ci["arm", 1]), f(ci["arm", 2]), f(s["arm", 4]), f(s["arm", 2]), fit$df.residual, nobs(fit)))
p278na$fdf <- factor(p278na$fd, ordered = TRUE)
fc <- clm(fdf ~ arm + base + site, data = p278na, control = clm.control(gradTol = 1e-10))
sc <- coef(summary(fc))
cat(sprintf('"clm_na": dict(coef=%s, se=%s, p=%s, n=%d),\n', f(sc["arm", 1]), f(sc["arm", 2]),
    f(sc["arm", 4]), nobs(fc)))
fm <- lme(y ~ arm * factor(day) + age, random = ~ 1 | id, data = v60na, method = "REML",
          na.action = na.omit, control = lmeControl(tolerance = 1e-10, msTol = 1e-12, niterEM = 100))
b <- fixef(fm); V <- vcov(fm); nm <- names(b); levs <- sort(unique(v60na$day))
est <- se <- numeric(length(levs))
for (j in seq_along(levs)) {
  L <- numeric(length(b)); L[grep("^arm$", nm)] <- 1
  if (j > 1) L[grep(paste0("^arm:factor\\(day\\)", levs[j], "$"), nm)] <- 1
  est[j] <- sum(L * b); se[j] <- sqrt(drop(t(L) %*% V %*% L))
}
cat(sprintf('"lme_na": dict(time=%s, est=%s, se=%s, n_obs=%d, n_subjects=%d),\n', vec(levs), vec(est),
    vec(se), nobs(fm), length(unique(na.omit(v60na)$id))))
