"""The scoring wing: one mixture, a run, a batch of submissions, backends, cache, aggregation."""
