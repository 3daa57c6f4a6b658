"""What a run means: tables and summary (results), the KPIs compared across runs (kpis),
intervals, plots and provenance."""
