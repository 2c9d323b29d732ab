"""`python -m cli ...` is the `shopops` command (what `shopops up` runs its own parts with)."""

from cli.main import main

main()
