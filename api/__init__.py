"""HTTP edge of the service: routes, error translation and web pages. Logic lives in ``matcher``."""
