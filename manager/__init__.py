"""The managers' console: the live follow-up queue, statistics, reports and retention commands."""
