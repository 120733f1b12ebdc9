"""Audit tables, alerts, SLOs and the status view."""
