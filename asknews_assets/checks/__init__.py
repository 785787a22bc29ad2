"""Data-quality asset checks, one module per stage."""
