# Reference values for tests/test_tables.py.
# Run: Rscript tests/R/tables.R
# Quartiles: R's default quantile(type = 7). SMD: the definitions of R tableone's
# ExtractSmd (Yang & Dalton 2012), written out here because tableone is not installed:
#   continuous   d = (m2 - m1) / sqrt((s1^2 + s2^2) / 2)
#   categorical  d = sqrt(t(p1 - p2) %*% solve(S) %*% (p1 - p2)), levels 2..k,
#                S = (S1 + S2) / 2, Sg[k, k] = p_k (1 - p_k), Sg[k, l] = -p_k p_l.

x_ilo <- c(-9, -7, -7, -4, -2, 0, 3, 7, 12, 15, 15)   # 11 values, ties
x_pla <- c(-10, -8, -6, -5, -5, -3, 1, 5, 9, 14)      # 10 values
cat("quantile x_ilo:", format(quantile(x_ilo, c(0.25, 0.5, 0.75), type = 7), digits = 15), "\n")
cat("quantile x_pla:", format(quantile(x_pla, c(0.25, 0.5, 0.75), type = 7), digits = 15), "\n")

age1 <- c(61, 55, 70, 48, 66, 59, 73, 52)
age2 <- c(64, 58, 49, 71, 69, 62, 57, 60, 67)
d_cont <- (mean(age2) - mean(age1)) / sqrt((var(age1) + var(age2)) / 2)
cat("smd age:", format(abs(d_cont), digits = 15), "\n")

site1 <- factor(c("A", "A", "B", "C", "C", "C", "A", "B"), levels = c("A", "B", "C"))
site2 <- factor(c("A", "B", "B", "B", "C", "A", "B", "C", "B"), levels = c("A", "B", "C"))
p1 <- as.numeric(prop.table(table(site1)))[-1]
p2 <- as.numeric(prop.table(table(site2)))[-1]
cov_p <- function(p) { S <- -outer(p, p); diag(S) <- p * (1 - p); S }
S <- (cov_p(p1) + cov_p(p2)) / 2
d_cat <- sqrt(t(p1 - p2) %*% solve(S) %*% (p1 - p2))
cat("smd site:", format(d_cat[1, 1], digits = 15), "\n")
