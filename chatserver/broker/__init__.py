"""Moving published events between server instances. ``base`` is the interface; ``memory`` the default."""
