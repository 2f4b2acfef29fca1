# Reference value for tests/test_sweep.py (the spec's own I-MICRO row of the sweep): R's
# wilcox.test on the bundled twin's ΔSOFA to day 7 by arm (primary population, the spec's
# rules: worst value for deaths, last value for discharges).
# Run from the repository root (R 4.2):
#   .venv/bin/python -c "from trialkit.schema import load_trial; from trialkit.endpoints import analysis_set; a = analysis_set(load_trial('data/imicro'), population='primary'); a[['arm', 'delta_sofa']].dropna().to_csv('/tmp/imicro_delta_sofa.csv', index=False)"
#   Rscript tests/R/imicro_twin_wilcox.R /tmp/imicro_delta_sofa.csv
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
x <- d$delta_sofa[d$arm == "iloprost"]
y <- d$delta_sofa[d$arm == "placebo"]
w <- suppressWarnings(wilcox.test(x, y, conf.int = TRUE))
cat(sprintf("n %d %d  estimate %.15g  ci %.15g %.15g  p %.15g\n", length(x), length(y),
            w$estimate, w$conf.int[1], w$conf.int[2], w$p.value))
