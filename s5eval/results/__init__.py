"""The results layer: per-mixture records, the figure catalogue, the output files and the result folders."""
