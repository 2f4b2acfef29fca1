# Reference values for tests/test_design.py (trialkit.design).
# Run from the repository root:  Rscript tests/R/design.R
# R 4.x with packages stats and rpact (3.3.4 used when the values were recorded).
# Every block prints the values that the Python tests hard-code, with the R call beside them.
suppressPackageStartupMessages(library(rpact))
fmt <- function(x) paste0("[", paste(sprintf("%.10g", x), collapse = ", "), "]")
say <- function(label, x) cat(label, "=", fmt(x), "\n")

cat("## stats::power.t.test (two-sample, two-sided, strict = FALSE)\n")
# COMBAT-SHINE reconstruction: 20% of the LeoPARDS levosimendan arm (6.68 +/- 3.96) ...
say("power.t.test(delta=1.336, sd=3.96, power=0.9)$n", power.t.test(delta = 0.2 * 6.68, sd = 3.96, power = 0.9)$n)
# ... and of the LeoPARDS placebo arm (6.06 +/- 3.89)
say("power.t.test(delta=1.212, sd=3.89, power=0.9)$n", power.t.test(delta = 0.2 * 6.06, sd = 3.89, power = 0.9)$n)
say("power.t.test(delta=1, sd=1, power=0.8)$n", power.t.test(delta = 1, sd = 1, power = 0.8)$n)
say("power.t.test(delta=0.5, sd=2, power=0.95, sig.level=0.01)$n", power.t.test(delta = 0.5, sd = 2, power = 0.95, sig.level = 0.01)$n)
say("power.t.test(delta=2, sd=1, power=0.9)$n", power.t.test(delta = 2, sd = 1, power = 0.9)$n)
# the same root solved tightly (uniroot's default tol is eps^0.25, about 1.2e-4)
say("power.t.test(delta=1.336, sd=3.96, power=0.9, tol=1e-10)$n", power.t.test(delta = 1.336, sd = 3.96, power = 0.9, tol = 1e-10)$n)
say("power.t.test(n=190, delta=1.336, sd=3.96)$power", power.t.test(n = 190, delta = 1.336, sd = 3.96)$power)
say("power.t.test(n=100, delta=1.336, sd=3.96)$power", power.t.test(n = 100, delta = 1.336, sd = 3.96)$power)
say("power.t.test(n=5, delta=1, sd=1, sig.level=0.1)$power", power.t.test(n = 5, delta = 1, sd = 1, sig.level = 0.1)$power)

cat("## unequal allocation: rpact::getSampleSizeMeans (fixed design, t distribution)\n")
ss <- getSampleSizeMeans(alternative = 1.336, stDev = 3.96, sided = 2, alpha = 0.05, beta = 0.1,
                         allocationRatioPlanned = 2, normalApproximation = FALSE)
say("getSampleSizeMeans(alternative=1.336, stDev=3.96, sided=2, alpha=0.05, beta=0.1, allocationRatioPlanned=2) nFixed, nFixed1, nFixed2",
    c(ss$nFixed, ss$nFixed1, ss$nFixed2))
ss1 <- getSampleSizeMeans(alternative = 1.336, stDev = 3.96, sided = 2, alpha = 0.05, beta = 0.1,
                          allocationRatioPlanned = 1, normalApproximation = FALSE)
say("getSampleSizeMeans(..., allocationRatioPlanned=1) nFixed", ss1$nFixed)
# power at unequal allocation, straight from the noncentral t (n1 = 200 experimental, n2 = 100 control)
n1 <- 200; n2 <- 100; df <- n1 + n2 - 2
ncp <- 1.336 / (3.96 * sqrt(1 / n1 + 1 / n2))
say("pt(qt(0.975, 298), 298, ncp=1.336/(3.96*sqrt(1/200+1/100)), lower.tail=FALSE)",
    pt(qt(0.975, df), df, ncp = ncp, lower.tail = FALSE))

cat("## stats::power.prop.test (two-sided, strict = FALSE)\n")
say("power.prop.test(p1=0.5, p2=0.4, power=0.9)$n", power.prop.test(p1 = 0.5, p2 = 0.4, power = 0.9)$n)
say("power.prop.test(p1=0.42, p2=0.32, power=0.8)$n", power.prop.test(p1 = 0.42, p2 = 0.32, power = 0.8)$n)
say("power.prop.test(p1=0.1, p2=0.3, power=0.95, sig.level=0.01)$n", power.prop.test(p1 = 0.1, p2 = 0.3, power = 0.95, sig.level = 0.01)$n)
say("power.prop.test(p1=0.5, p2=0.4, power=0.9, tol=1e-10)$n", power.prop.test(p1 = 0.5, p2 = 0.4, power = 0.9, tol = 1e-10)$n)
say("power.prop.test(n=300, p1=0.49, p2=0.44)$power", power.prop.test(n = 300, p1 = 0.49, p2 = 0.44)$power)

cat("## rpact::getDesignGroupSequential (sided = 1, bindingFutility = FALSE) + getDesignCharacteristics\n")
gs <- function(label, ...) {
  d <- getDesignGroupSequential(sided = 1, bindingFutility = FALSE, ...)
  ch <- getDesignCharacteristics(d)
  cat("# design", label, "\n")
  say("  criticalValues", d$criticalValues)
  say("  futilityBounds", d$futilityBounds)
  say("  alphaSpent", d$alphaSpent)
  say("  betaSpent", d$betaSpent)
  say("  shift", ch$shift)
  say("  inflationFactor", ch$inflationFactor)
  say("  rejectionProbabilities", ch$rejectionProbabilities)
  say("  futilityProbabilities", ch$futilityProbabilities)
}
gs("A: asOF, info (0.3, 0.7, 1), bsOF", kMax = 3, alpha = 0.025, beta = 0.1, typeOfDesign = "asOF",
   informationRates = c(0.3, 0.7, 1), typeBetaSpending = "bsOF")
gs("B: asP, info (0.5, 1), no futility", kMax = 2, alpha = 0.025, beta = 0.1, typeOfDesign = "asP",
   informationRates = c(0.5, 1))
gs("C: asHSD gamma -4, info (0.2, 0.45, 0.7, 1)", kMax = 4, alpha = 0.025, beta = 0.1, typeOfDesign = "asHSD",
   gammaA = -4, informationRates = c(0.2, 0.45, 0.7, 1))
gs("D: asHSD gamma -2, info (0.25, 0.6, 1), bsHSD gammaB -2", kMax = 3, alpha = 0.025, beta = 0.1,
   typeOfDesign = "asHSD", gammaA = -2, informationRates = c(0.25, 0.6, 1),
   typeBetaSpending = "bsHSD", gammaB = -2)
gs("E: asHSD gamma 1, equal info, futility z (0, 0.5, 1)", kMax = 4, alpha = 0.025, beta = 0.1,
   typeOfDesign = "asHSD", gammaA = 1, informationRates = c(0.25, 0.5, 0.75, 1), futilityBounds = c(0, 0.5, 1))
gs("F: asOF, info (200/380, 1), futility z 0 (COMBAT-SHINE candidate)", kMax = 2, alpha = 0.025, beta = 0.1,
   typeOfDesign = "asOF", informationRates = c(200 / 380, 1), futilityBounds = 0)
gs("G: asP, info (0.4, 0.8, 1), bsP", kMax = 3, alpha = 0.025, beta = 0.1, typeOfDesign = "asP",
   informationRates = c(0.4, 0.8, 1), typeBetaSpending = "bsP")
gs("H: asOF, equal info K=4, alpha 0.05, beta 0.2", kMax = 4, alpha = 0.05, beta = 0.2, typeOfDesign = "asOF",
   informationRates = c(0.25, 0.5, 0.75, 1))

cat("## rpact::getConditionalPower (design F, one stage remaining)\n")
dF <- getDesignGroupSequential(kMax = 2, alpha = 0.025, beta = 0.1, sided = 1, typeOfDesign = "asOF",
                               informationRates = c(200 / 380, 1), futilityBounds = 0, bindingFutility = FALSE)
ds <- getDataset(n1 = 100, n2 = 100, means1 = 7.0, means2 = 6.4, stDevs1 = 3.9, stDevs2 = 4.0)
sr <- getStageResults(dF, dataInput = ds, stage = 1)
say("getStageResults(...)$overallPValues[1] (t-test p, converted to z in Python)", sr$overallPValues[1])
say("getConditionalPower(sr, nPlanned=180, thetaH1=1.336, assumedStDev=3.96)",
    getConditionalPower(sr, nPlanned = 180, thetaH1 = 1.336, assumedStDev = 3.96)$conditionalPower[2])
say("getConditionalPower(sr, nPlanned=180) (observed effect 0.6, pooled SD)",
    getConditionalPower(sr, nPlanned = 180)$conditionalPower[2])

cat("## textbook formulas, evaluated in R (Proschan, Lan & Wittes 2006, ch. 3)\n")
# current trend: theta = z / sqrt(t)
cp_trend <- function(z, t, c) 1 - pnorm((c - z * sqrt(t) - z / sqrt(t) * (1 - t)) / sqrt(1 - t))
say("cp_trend(z=1, t=0.5, c=qnorm(0.975))", cp_trend(1, 0.5, qnorm(0.975)))
say("cp_trend(z=2.1, t=0.3, c=2.0)", cp_trend(2.1, 0.3, 2.0))
# predictive power with a flat prior, by numerical integration of CP(theta) over the posterior
# theta | z ~ N(z / sqrt(t), 1 / t): independent of the closed form coded in Python
pp_num <- function(z, t, c) {
  cp <- function(th) 1 - pnorm((c - z * sqrt(t) - th * (1 - t)) / sqrt(1 - t))
  integrate(function(th) cp(th) * dnorm(th, z / sqrt(t), 1 / sqrt(t)), -Inf, Inf, rel.tol = 1e-12)$value
}
say("pp_num(z=1, t=0.5, c=qnorm(0.975))", pp_num(1, 0.5, qnorm(0.975)))
say("pp_num(z=0.3, t=200/380, c=1.971222542)", pp_num(0.3, 200 / 380, 1.971222542))
say("pp_num(z=2.5, t=0.8, c=2.0)", pp_num(2.5, 0.8, 2.0))

cat("## rpact::getSimulationMeans: design F, COMBAT-SHINE sizes (n 380, interim at 200), SD 3.96\n")
sim <- getSimulationMeans(dF, alternative = c(0, 0.668, 1.336), stDev = 3.96, plannedSubjects = c(200, 380),
                          maxNumberOfIterations = 10000, seed = 20261123)
say("getSimulationMeans(...)$overallReject (alternative 0, 0.668, 1.336)", sim$overallReject)
say("getSimulationMeans(...)$futilityPerStage[1, ]", sim$futilityPerStage[1, ])
say("getSimulationMeans(...)$expectedNumberOfSubjects", sim$expectedNumberOfSubjects)
say("getSimulationMeans(...)$rejectPerStage[1, ]", sim$rejectPerStage[1, ])
pw <- getPowerMeans(dF, alternative = c(0, 0.668, 1.336), stDev = 3.96, maxNumberOfSubjects = 380,
                    normalApproximation = TRUE)
say("getPowerMeans(dF, alternative=c(0, 0.668, 1.336), stDev=3.96, maxNumberOfSubjects=380, normalApproximation=TRUE)$overallReject",
    pw$overallReject)
say("getPowerMeans(...)$futilityPerStage[1, ]", pw$futilityPerStage[1, ])

cat("## rpact::getConditionalPower with two looks remaining (3-stage asOF design, info 0.3, 0.7, 1)\n")
d3 <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.1, sided = 1, typeOfDesign = "asOF",
                               informationRates = c(0.3, 0.7, 1))
ds3 <- getDataset(n1 = 57, n2 = 57, means1 = 7.1, means2 = 6.4, stDevs1 = 3.9, stDevs2 = 4.0)
sr3 <- getStageResults(d3, dataInput = ds3, stage = 1)
say("d3$criticalValues", d3$criticalValues)
say("getStageResults(d3, ds3, stage=1)$overallPValues[1]", sr3$overallPValues[1])
say("getConditionalPower(sr3, nPlanned=c(152, 114), thetaH1=1.336, assumedStDev=3.96)$conditionalPower",
    getConditionalPower(sr3, nPlanned = c(152, 114), thetaH1 = 1.336, assumedStDev = 3.96)$conditionalPower)
d3f <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.1, sided = 1, typeOfDesign = "asOF",
                                informationRates = c(0.3, 0.7, 1), futilityBounds = c(0, 1),
                                bindingFutility = FALSE)
sr3f <- getStageResults(d3f, dataInput = ds3, stage = 1)
say("same with futilityBounds=c(0, 1), bindingFutility=FALSE",
    getConditionalPower(sr3f, nPlanned = c(152, 114), thetaH1 = 1.336, assumedStDev = 3.96)$conditionalPower)
