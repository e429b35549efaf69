"""The Raptors airspeed-velocity suite (asv 0.6). See README.md, "Benchmarks"."""
