# Reference values for tests/test_calibration.py (trialkit.simulate.compatibility,
# trialkit.simulate.death_timing).
# Run: Rscript tests/R/calibration.R   (R 4.x, epitools 0.5-10.x; the rest is base R)
# Prints one line per value; the test file holds these values verbatim.
suppressPackageStartupMessages(library(epitools))
f <- function(x) sprintf("%.12g", x)
z <- qnorm(0.975)

# Event counts k of n whose percentage prints as p (to 1%): |100 k / n - p| <= 0.5.
compatible <- function(p, n) { k <- 0:n; k[abs(100 * k / n - p) <= 0.5 * (1 + 1e-9)] }
for (case in list(c(49, 142), c(44, 136), c(57, 142), c(51, 136), c(42, 114), c(39, 122))) {
  cat(sprintf("compatible(%g, %g) = %s\n", case[1], case[2],
              paste(compatible(case[1], case[2]), collapse = ",")))
}

# Crude log-Wald risk ratio (epitools riskratio, method = "wald") of each compatible pair.
for (v in list(c(69, 142, 60, 136), c(70, 142, 60, 136), c(81, 142, 69, 136),
               c(81, 142, 70, 136), c(48, 114, 47, 122))) {
  a <- v[1]; n1 <- v[2]; b <- v[3]; n2 <- v[4]
  tab <- matrix(c(n2 - b, b, n1 - a, a), nrow = 2, byrow = TRUE)
  rr <- riskratio(tab, method = "wald")$measure[2, ]
  se <- sqrt(1 / a - 1 / n1 + 1 / b - 1 / n2)
  cat(sprintf("rr(%d/%d vs %d/%d) = %s %s %s se %s\n", a, n1, b, n2, f(rr[1]), f(rr[2]),
              f(rr[3]), f(se)))
}

# The SE(log RR) and centre a printed estimate and interval allow (half-step bounds).
implied <- function(e, el, l, ll, u, ul) {
  E <- c(e - el / 2, e + el / 2); L <- c(l - ll / 2, l + ll / 2); U <- c(u - ul / 2, u + ul / 2)
  se <- c(max((log(U[1]) - log(L[2])) / (2 * z), log(E[1] / L[2]) / z, log(U[1] / E[2]) / z),
          min((log(U[2]) - log(L[1])) / (2 * z), log(E[2] / L[1]) / z, log(U[2] / E[1]) / z))
  centre <- c(max(sqrt(L[1] * U[1]), E[1]), min(sqrt(L[2] * U[2]), E[2]))
  c(centre, se)
}
cat("implied(1.13 (0.88 to 1.46)) =", sapply(implied(1.13, 0.01, 0.88, 0.01, 1.46, 0.01), f), "\n")
cat("implied(1.12 (0.91 to 1.4)) =", sapply(implied(1.12, 0.01, 0.91, 0.01, 1.4, 0.1), f), "\n")
cat("implied(1.08 (0.80 to 1.5)) =", sapply(implied(1.08, 0.01, 0.80, 0.01, 1.5, 0.1), f), "\n")

# Type-7 upper quartiles (quantile's default) of integer changes: 29 of 114 at +7 gives a
# quartile that prints as 7, 28 of 114 does not; 31 of 122 at +5 prints as 5, 30 does not.
for (v in list(c(114, 29, 7, 5), c(114, 28, 7, 5), c(122, 31, 5, 3), c(122, 30, 5, 3))) {
  x <- c(rep(v[3], v[2]), rep(v[4], v[1] - v[2]))
  cat(sprintf("q3(n=%d, %d at %d, rest %d) = %s\n", v[1], v[2], v[3], v[4],
              f(quantile(x, 0.75, type = 7))))
}
# ... and with the rest spread below (so x_j < x_{j+1}): 29 values of 12, the rest -8..5.
x <- c(rep(12, 29), rep(-8:5, length.out = 85))
cat("q3(29 at 12, rest -8..5) =", f(quantile(x, 0.75, type = 7)), "\n")

# Share of deaths on days 1..7 of 1..28 with weights exp(-(d - 1) / tau).
share <- function(tau, day = 7, last = 28) sum(exp(-(0:(day - 1)) / tau)) / sum(exp(-(0:(last - 1)) / tau))
for (tau in c(4, 7, 2, 20)) cat(sprintf("share(tau=%g) = %s\n", tau, f(share(tau))))
cat("tau(share=0.644) =", f(uniroot(function(t) share(t) - 0.644, c(0.1, 100), tol = 1e-12)$root), "\n")
