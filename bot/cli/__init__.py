"""The `hvconnect` command line: `run`, and the commands an operator runs beside it."""
