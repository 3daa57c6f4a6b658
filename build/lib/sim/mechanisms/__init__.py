"""The mechanisms of customer experience, each on its own: perception and disconfirmation
(experience), peak-end memory and fading (memory), the churn hazard, surveys, word of mouth,
the journey map, the social network, and the service centre with its support calls.

They import the configuration and the base modules only; the engine puts them together.
"""
