"""One adapter per platform, with its limits as data."""
