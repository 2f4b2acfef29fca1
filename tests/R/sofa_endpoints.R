# Independent reference for trialkit.sofa and trialkit.endpoints: the values printed here are
# pasted into tests/test_sofa.py (test_sofa_matches_R_findInterval) and tests/test_endpoints.py
# (test_endpoints_match_R_loops).
#
# A second implementation in base R, written from the rules in the docstrings (Vincent 1996
# cut points with findInterval; endpoints patient by patient with loops), on deterministic
# inputs that the Python test rebuilds with the same integer formulas. The printed vectors are
# pasted into the Python test.
#
# Run: Rscript tests/R/sofa_endpoints.R   (R 4.x, base R only)

out <- function(name, x) cat(name, " = [", paste(ifelse(is.na(x), "NAN", format(x, digits = 15)), collapse = ", "), "]\n", sep = "")

# ---- SOFA on 60 deterministic patient-days --------------------------------------------------
i <- 0:59
d <- data.frame(
  pao2 = 40 + (i * 37) %% 360,
  fio2 = 0.21 + ((i * 13) %% 80) / 100,
  vent = as.integer(i %% 3 != 0),
  plt = (i * 29) %% 210,
  bili = ((i * 17) %% 150) / 10,
  bili_si = (i * 41) %% 260,
  map = 50 + (i * 11) %% 40,
  ne = ifelse(i %% 4 == 0, ((i * 7) %% 20) / 100, 0),
  epi = ifelse(i %% 5 == 0, ((i * 3) %% 15) / 100, 0),
  dopa = ifelse(i %% 6 == 0, i %% 20, 0),
  dobu = ifelse(i %% 7 == 0, 5, 0),
  gcs = 3 + (i * 5) %% 13,
  creat = ((i * 23) %% 60) / 10,
  creat_si = (i * 37) %% 500,
  urine = (i * 97) %% 1600
)
falling <- function(x, cuts) 4 - findInterval(x, sort(cuts))  # cuts scored "< cut"
pf <- round(d$pao2 / d$fio2, 6)
resp <- falling(pf, c(400, 300, 200, 100))
resp <- ifelse(d$vent == 1, resp, pmin(resp, 2))
coag <- falling(d$plt, c(150, 100, 50, 20))
liver <- findInterval(d$bili, c(1.2, 2, 6, 12))
liver_si <- findInterval(d$bili_si, c(20, 33, 102)) + (d$bili_si > 204)
cardio <- ifelse(d$dopa > 15 | d$epi > 0.1 | d$ne > 0.1, 4,
  ifelse(d$dopa > 5 | d$epi > 0 | d$ne > 0, 3,
    ifelse(d$dopa > 0 | d$dobu > 0, 2, ifelse(d$map < 70, 1, 0))))
cns <- falling(d$gcs, c(15, 13, 10, 6))
urine <- ifelse(d$urine < 200, 4, ifelse(d$urine < 500, 3, 0))
renal <- pmax(findInterval(d$creat, c(1.2, 2, 3.5, 5)), urine)
renal_si <- pmax(findInterval(d$creat_si, c(110, 171, 300)) + (d$creat_si > 440), urine)
out("R_RESP", resp)
out("R_COAG", coag)
out("R_LIVER", liver)
out("R_LIVER_SI", liver_si)
out("R_CARDIO", cardio)
out("R_CNS", cns)
out("R_RENAL", renal)
out("R_RENAL_SI", renal_si)
out("R_TOTAL", resp + coag + liver + cardio + cns + renal)

# ---- endpoints on 30 deterministic patients ---------------------------------------------------
k <- 1:30
stay <- 1 + (k * 7) %% 12                            # ICU rows on days 0..stay-1 ...
dead <- k %% 3 == 0
death_day <- ifelse(dead, stay - 1 + k %% 2, NA)     # dies on the last ICU day or the next
discharge_day <- ifelse(dead, NA, stay)              # alive: discharged the day after
last_contact <- ifelse(dead, death_day, ifelse(k %% 11 == 0, 20, 28))
has_row <- function(p, day) day < stay[p] && (k[p] + day) %% 9 != 4 && !(day == 0 && k[p] %% 10 == 0)
score <- function(p, day) (k[p] * 5 + day * 3) %% 25 # ... except the days has_row drops
vent <- function(p, day) as.integer((k[p] + day) %% 4 < 2)

last_seen <- function(p, day) {
  seen <- Filter(function(x) has_row(p, x), 0:day)
  if (length(seen)) score(p, max(seen)) else NA
}
value_on <- function(p, day, death, discharge) {
  if (has_row(p, day)) return(score(p, day))
  if (!is.na(death_day[p]) && death_day[p] <= day) return(if (death == "worst") 24 else last_seen(p, day))
  if (!is.na(discharge_day[p]) && discharge_day[p] <= day) return(if (discharge == "zero") 0 else last_seen(p, day))
  NA
}
delta <- function(death, discharge) sapply(k, function(p) {
  if (!has_row(p, 0)) return(NA)
  value_on(p, 7, death, discharge) - score(p, 0)
})
mean_all <- function(death, discharge) sapply(k, function(p) {
  v <- sapply(1:7, function(day) value_on(p, day, death, discharge))
  if (all(is.na(v))) NA else mean(v, na.rm = TRUE)
})
mean_icu <- sapply(k, function(p) {
  v <- sapply(1:7, function(day) if (has_row(p, day)) score(p, day) else NA)
  if (all(is.na(v))) NA else mean(v, na.rm = TRUE)
})
lost <- is.na(death_day) & last_contact < 28
died28 <- !is.na(death_day) & death_day <= 28
free <- sapply(k, function(p) 28 - sum(sapply(1:28, function(day) has_row(p, day) && vent(p, day) == 1)))
free <- ifelse(died28, 0, ifelse(lost, NA, free))
out_icu <- ifelse(died28, 0, ifelse(lost, NA, ifelse(is.na(discharge_day), 0, 28 - pmin(pmax(discharge_day, 0), 28))))
out("R_DELTA_WORST_LAST", delta("worst", "last"))
out("R_DELTA_LAST_ZERO", delta("last", "zero"))
out("R_MEAN_ICU", mean_icu)
out("R_MEAN_ALL_WORST_LAST", mean_all("worst", "last"))
out("R_MEAN_ALL_LAST_ZERO", mean_all("last", "zero"))
out("R_FREE_28", free)
out("R_DEAD_28", ifelse(lost, NA, as.integer(died28)))
out("R_OUT_OF_ICU_28", out_icu)
