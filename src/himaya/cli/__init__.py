"""L5: the `himaya` command line (Typer + Rich). Thin: it parses, calls and renders."""
