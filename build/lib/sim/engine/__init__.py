"""The engine: the market's state as arrays (state), the day loop's compiled kernels
(kernels), the daily record they write (record), and the Mesa model that sets it all up and
steps it one day at a time (model), with agent handles on single people (agents)."""
