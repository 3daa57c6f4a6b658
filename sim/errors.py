"""The one exception type for bad input, so callers can tell configuration problems from bugs."""


class ConfigError(ValueError):
    """A configuration value is unknown, of the wrong type or out of range.

    The message always names the key (dotted path) and the allowed values or range.
    """
