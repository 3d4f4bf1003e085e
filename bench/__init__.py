"""Benchmarks (not tests): each measures a target and its baseline in the same run, on this machine."""
