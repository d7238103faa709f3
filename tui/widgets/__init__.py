"""The studio's widgets, one job each."""
