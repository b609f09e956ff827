"""Bayesian-optimization benchmarks: ``python -m bench.bo.run``, ``python -m bench.bo.report``."""
