"""facegate: face recognition that only runs when the rules allow it, and can prove it."""

__version__ = "0.1.0"
