"""The runtime's version, where the modules that report it can import it without the package."""

__version__ = "0.1.0"
