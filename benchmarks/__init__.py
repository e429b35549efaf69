"""The Raptors airspeed-velocity suite (asv 0.6). See docs/benchmarks.md."""
