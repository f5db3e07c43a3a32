"""Metric definitions (docs/metrics.md): SDR/SDRi, CAPI-SDRi, CA-SDRi (2025), label accuracies, CASA-SDR."""
