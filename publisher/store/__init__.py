"""The database: typed models, engine setup and schema checks. Knows nothing of platforms."""
