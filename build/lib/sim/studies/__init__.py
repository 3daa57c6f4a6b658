"""Studies of many runs: what-if scenarios and their comparison (scenarios, compare, report),
Hydra sweeps, batches on Hydra's launchers, sensitivity analysis, calibration, and
parameter uncertainty."""
