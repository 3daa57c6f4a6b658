"""The commands people use: the `cxsim` CLI (cli) and its --help (help), the study commands
cxsim-compare, cxsim-sensitivity and cxsim-calibrate (compare, sensitivity, calibrate, with
the options they share in options), the Solara dashboard, and how every command reports an
error in one line with its exit code (exits)."""
