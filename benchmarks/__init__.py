"""Speed and memory benchmarks: each compares against a reference in the same process or run."""
