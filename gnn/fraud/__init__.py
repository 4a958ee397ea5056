"""Fraud-ring detection on affiliate networks."""
