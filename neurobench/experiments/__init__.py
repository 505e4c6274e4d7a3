"""Experiment stages: each stage's params schema, stage commands and claims, one subpackage per stage."""
