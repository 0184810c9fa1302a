"""`python -m facegate` runs the command line."""

from facegate.cli import main

main()
