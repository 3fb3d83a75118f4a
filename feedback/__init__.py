"""The ``feedback`` command: one entry point that wires the channels to the shared store."""
