"""herbx's command line: Typer app, rich panels, plain progress off a terminal."""
