"""Front page, the logged-in home page and the health check."""
