"""Metric definitions (DESIGN §2): SDR/SDRi, CAPI-SDRi, CA-SDRi (2025), label accuracies, CASA-SDR."""
