"""`publisher worker`: the pipeline's steps as Procrastinate jobs in PostgreSQL.

`app.py` builds the Procrastinate App for a database and runs a worker; `tasks.py` holds the
tasks (one Blueprint); `deployment.py` says which programmes a worker serves and gives each
job its Runtime; `registry.py` keeps the `workers` table for `status`. Only these modules
(and migration 0011) import Procrastinate (tests/test_layers.py).
"""
