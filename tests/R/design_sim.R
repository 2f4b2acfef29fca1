# Reference value for tests/test_design_scenarios.py: the power of COMBAT-SHINE's fixed design
# (190 per arm, difference 1.336 = 20% of 6.68, SD 3.96; two-sided 0.05, whose lower tail is
# ~1e-9, so it equals the one-sided 0.025 test the simulation runs).
# Run: Rscript tests/R/design_sim.R   (R 4.x, stats)
cat(sprintf("power.t.test(n = 190, delta = 1.336, sd = 3.96, sig.level = 0.05)$power = %.10f\n",
            power.t.test(n = 190, delta = 1.336, sd = 3.96, sig.level = 0.05)$power))
