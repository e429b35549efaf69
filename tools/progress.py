"""Progress bars (tqdm, on stderr) for the long tools: make report, make regress-power.

On a terminal the bar redraws in place. In a log (CI, `make ... 2>log`) each redraw is a line of
its own, at most one every LOG_INTERVAL seconds, and closing the bar always writes a final line.
A bar redraws only when its tool calls update() or doing(), which the tools do between
measurements, never inside a timed region. `--no-progress` or TQDM_DISABLE=1 turns bars off.
"""

from __future__ import annotations

import sys

from tqdm import tqdm

LOG_INTERVAL = 15.0  # seconds between lines in a log

# tqdm's monitor thread wakes every 10 s and may redraw a bar by itself, in the middle of a
# measurement; without it a bar redraws only when the tool says so.
tqdm.monitor_interval = 0


class _Lines:
    """A log's view of a bar: tqdm redraws with '\\r' + line, which a log shows as one long line;
    write each redraw as a line instead (and drop the blank redraws that clear the bar)."""

    def __init__(self, f):
        self._f = f

    def write(self, s: str) -> None:
        s = s.strip("\r\n").rstrip()
        if s:
            self._f.write(s + "\n")

    def flush(self) -> None:
        self._f.flush()


class Progress(tqdm):
    """tqdm with the settings above; `file` defaults to stderr, `no_progress` disables it."""

    def __init__(self, total, desc, unit, *, no_progress=False, file=None, **kw):
        f = file or sys.stderr
        self._tty = f.isatty()
        if no_progress:  # otherwise tqdm's own default, which TQDM_DISABLE=1 overrides
            kw["disable"] = True
        super().__init__(
            total=total,
            desc=desc,
            unit=unit,
            file=f if self._tty else _Lines(f),
            mininterval=0.1 if self._tty else LOG_INTERVAL,
            miniters=1,  # every update() may redraw (rate-limited by mininterval only)
            dynamic_ncols=self._tty,
            **kw,
        )

    def display(self, msg=None, pos=None):
        self._shown = (self.n, self.desc)
        return super().display(msg, pos)

    def close(self) -> None:
        # A log already has the final line if the last update() wrote it; don't repeat it.
        if not (self._tty or self.disable) and getattr(self, "_shown", None) == (self.n, self.desc):
            self.leave = False
        super().close()

    def doing(self, what: str) -> None:
        """Name the step about to run. A terminal shows it at once; a log names the step with
        the line that counts it done (a line per step start would flood it)."""
        self.set_description_str(what, refresh=self._tty)

    def say(self, msg: str, file=None) -> None:
        """print(msg, file=file) (stdout by default), clearing the bar around it on a terminal."""
        out = file or sys.stdout
        if self._tty and not self.disable:
            self.write(msg, file=out)
        else:
            print(msg, file=out)
        out.flush()
