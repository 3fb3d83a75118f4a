"""Widgets of the managers' console."""
