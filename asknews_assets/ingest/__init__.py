"""Turning source records into clean articles, with every unusable record kept as a reject."""
