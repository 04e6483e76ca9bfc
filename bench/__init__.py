"""Benchmarks of the suite (issue 6): each ``bench_<name>.py`` compares two ways of doing one job."""
