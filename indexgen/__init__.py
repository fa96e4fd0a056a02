"""indexgen: a static PEP 503 index of an organisation's Python packages, straight from GitHub."""

__version__ = "0.1.0"
