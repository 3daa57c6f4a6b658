"""The commands people use: the `cxsim` CLI, its --help, and the Solara dashboard."""
