"""`hgrip-run` / `python -m hgrip_standins.runner`: the whole platform on one machine, for `make run`."""
