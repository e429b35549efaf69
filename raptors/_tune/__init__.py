"""`python -m raptors tune`: measure, on this machine, the choices libraptors would otherwise
derive from cache sizes, and store them per processor type (raptors/_tuning.py applies them).

What is measured (every family -- scale, element-wise binary, reductions -- and both dtypes;
sizes in bytes a call moves, read + written, as libraptors counts them):

1. SIMD variant per size regime and store kind: in each regime (within L2, within L3, beyond)
   and for each store kind (plain, streaming, in place; reductions only read), the best
   variant (AVX-512) against every other one (AVX2), at one thread and at the default thread
   count, plain stores into NumPy's arrays and into cache-line-aligned ones. Decided on both
   dtypes' measurements together: another variant only when it is faster by more than MARGIN
   (median over configurations), the 95% bootstrap interval of that gain is above 1, and three
   configurations in four lose at most MARGIN with it; ties and noise keep the default.
2. Streaming-store threshold, for several threads and for one: plain against streaming stores
   on a ladder from L3/4 to 4 x L3, with the variants chosen in 1.
3. Bytes per thread: one thread against two on a ladder from 64 KiB to 8 MiB.

A threshold is the candidate that minimises the summed cost (the time lost against the better
option at each ladder size, as a log ratio, summed over a family's dtypes and configurations);
the derived default stays unless another candidate is cheaper by more than TOLERANCE per series.

Timing: raptors/_measure.py's interleaved rounds (every side timed once per round, in shuffled
order), under the shared benchmark lock. On a shared 2-core VM the machine changes under the
measurement, so: every case is visited several times, in turn with the other cases of its
phase, in two passes half a run apart (a neighbour's busy stretch cannot fill every visit of a
case); a variant comparison counts only the quietest quarter of its rounds (a round in which
either side lost a time slice is left out, pairs kept); and a ladder compares each side's best
time -- the threshold is about where the data lives and what a second core adds, and a
neighbour that evicts the shared L3 or holds the other core makes streaming, or one thread,
look better than they are on a machine to oneself. How much CPU others took meanwhile is
recorded (others_cpu) and reported.

`--compare A [B]` times the cases where two tunings decide differently (B: the derived
defaults), to measure what a difference costs.

The modules, by concern: probe (the machine: caches, threads, variants, ladders; others' CPU
use), cases (the calls timed and the cases that time them), decide (the statistics and the
decisions, no timing), run (the measuring run: Tuner), compare (--compare), cli (the command).
raptors/_tuning.py applies a tuning at import; raptors/_measure.py times.
"""
