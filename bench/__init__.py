"""The benchmark harness (`make bench`, `python -m bench`): kept out of the installed package."""
