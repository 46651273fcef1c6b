"""The organizers' console in the browser (`publisher web`): pages rendered on the server
(Starlette + Jinja2, no JavaScript build), in Italian, English and French.

It calls only the application layer (`publisher.app.App`, `publisher/services/`, and the
queue and attention functions), exactly as the CLI does, so the console can never do what
the CLI would refuse. Only `publisher/web/` and `publisher/cli/` import this package.
"""
