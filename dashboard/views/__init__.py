"""Route modules of the dashboard; importing them registers their views on the blueprint."""
