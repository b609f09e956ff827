"""Surrogate models and acquisition math: pure array code, no studies, trials or spaces.

Inputs are points of the unit cube as ``n x d`` arrays; outputs are values to minimise.
"""
