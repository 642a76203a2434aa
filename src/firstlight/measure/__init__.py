"""Measurement: how much abuse there is, and whether an intervention reduced it.

- Platform prevalence from reviewed samples (simple, stratified, weighted), with Wilson, Clopper–Pearson,
  Jeffreys, logit and Korn–Graubard intervals, one-sided upper bounds and reviewer-error correction.
- Multiple systems estimation: Poisson log-linear models over capture-pattern tables, the existence and
  identifiability checks, stepwise model choice, Wald, profile-likelihood and BCa bootstrap intervals;
  Rcapture-style M0 and Mt.
- Network scale-up (Killworth MLE and plug-in) with known-population checks.
- Impact: reduction 1 − p₂/p₁ with delta-method and cluster-bootstrap intervals; difference in differences.

Validated against R (survey, Rcapture, SparseMSE, networkscaleup); see ``docs/measurement.md``.
"""

from firstlight.measure.bootstrap import BootstrapInterval, bca_quantiles, mse_bootstrap
from firstlight.measure.impact import ImpactResult, Observation, estimate_impact
from firstlight.measure.mse import (
    CaptureTable,
    ModelCheck,
    MSEFit,
    check_model,
    estimate_population,
    fit_model,
    parse_terms,
    stepwise,
)
from firstlight.measure.nsum import NSUMResult, scale_up
from firstlight.measure.prevalence import (
    GoldSet,
    Prevalence,
    ReviewRecord,
    correct_for_review_error,
    estimate_prevalence,
    prevalence_from_reviews,
)
from firstlight.measure.proportion import binomial_interval, binomial_upper_bound
from firstlight.measure.rcapture import (
    ClosedPopulationFit,
    chao_lower_bound,
    closed_population,
    closed_population_from_frequencies,
)
from firstlight.measure.service import MSEReport, run_impact, run_mse, run_nsum, run_prevalence
from firstlight.measure.survey import (
    DesignEstimate,
    SurveyDesign,
    design_interval,
    design_mean,
    design_total,
    design_upper_bound,
)

__all__ = [
    "BootstrapInterval",
    "CaptureTable",
    "ClosedPopulationFit",
    "DesignEstimate",
    "GoldSet",
    "ImpactResult",
    "MSEFit",
    "MSEReport",
    "ModelCheck",
    "NSUMResult",
    "Observation",
    "Prevalence",
    "ReviewRecord",
    "SurveyDesign",
    "bca_quantiles",
    "binomial_interval",
    "binomial_upper_bound",
    "chao_lower_bound",
    "check_model",
    "closed_population",
    "closed_population_from_frequencies",
    "correct_for_review_error",
    "design_interval",
    "design_mean",
    "design_total",
    "design_upper_bound",
    "estimate_impact",
    "estimate_population",
    "estimate_prevalence",
    "fit_model",
    "mse_bootstrap",
    "parse_terms",
    "prevalence_from_reviews",
    "run_impact",
    "run_mse",
    "run_nsum",
    "run_prevalence",
    "scale_up",
    "stepwise",
]
