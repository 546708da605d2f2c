"""A server watched from outside while the classroom benchmark runs: its CPU and memory from
/proc every second, and its own timeline (`mnist_app/timing.py`'s log) cut by phase."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Sample:
    """One second: the phase, the server's CPU (percent of one core, with its child processes
    and its own), its resident memory (the same two ways), the memory the server and its
    children use together (`memory`: their proportional set sizes summed, which count a page
    that several share once, where their RSS counts TensorFlow's libraries once per process),
    this script's CPU, and the machine's load average (every process on it)."""

    at: float
    phase: str
    cpu: float
    server_cpu: float
    rss: float
    server_rss: float
    memory: float
    script_cpu: float
    machine_load: float


class Watch:
    """Samples the servers (processes `pids`, most often one) every second, summed; `phase`
    names what is going on."""

    def __init__(self, pids: list[int], log: Path):
        self.pids = pids
        self.log = log
        self.phase = "start"
        self.samples: list[Sample] = []
        self.marks: list[tuple[str, int]] = []  # each phase and where the timing log stood as it began

    def enter(self, phase: str) -> None:
        self.phase = phase
        self.marks.append((phase, self.log.stat().st_size if self.log.exists() else 0))

    async def run(self) -> None:
        began = last = time.perf_counter()
        ticks, server_ticks, own = self.cpu_ticks(), self.cpu_ticks(self.pids), os.times()
        while True:
            await asyncio.sleep(1.0)
            now, now_own = time.perf_counter(), os.times()
            now_ticks, now_server_ticks = self.cpu_ticks(), self.cpu_ticks(self.pids)
            elapsed = now - last
            self.samples.append(
                Sample(
                    at=now - began,
                    phase=self.phase,
                    cpu=100 * (now_ticks - ticks) / TICKS / elapsed,
                    server_cpu=100 * (now_server_ticks - server_ticks) / TICKS / elapsed,
                    rss=self.rss(tree := self.tree()),
                    server_rss=self.rss(self.pids),
                    memory=self.memory(tree),
                    script_cpu=100 * (now_own.user + now_own.system - own.user - own.system) / elapsed,
                    machine_load=os.getloadavg()[0],
                )
            )
            last, ticks, server_ticks, own = now, now_ticks, now_server_ticks, now_own

    def script_ms(self) -> dict[str, dict[str, list[float]]]:
        """Per phase, the timing log's lines: each timed part's milliseconds, by its name."""
        if not self.log.exists():
            return {}
        content = self.log.read_bytes()
        ends = [start for _, start in self.marks[1:]] + [len(content)]
        phases: dict[str, dict[str, list[float]]] = {}
        for (phase, start), end in zip(self.marks, ends, strict=True):
            for line in content[start:end].decode(errors="replace").splitlines():
                name, _, ms = line.rpartition(" ")
                phases.setdefault(phase, {}).setdefault(name, []).append(float(ms))
        return phases

    def tree(self) -> list[int]:
        """The servers and every process under them (the trainer processes)."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    children.setdefault(int(_stat_fields(int(entry.name))[1]), []).append(int(entry.name))
                except (OSError, IndexError, ValueError):
                    continue
        found, queue = [], list(self.pids)
        while queue:
            pid = queue.pop()
            found.append(pid)
            queue += children.get(pid, [])
        return found

    def cpu_ticks(self, pids: list[int] | None = None) -> int:
        """CPU time in clock ticks of `pids`, by default the server and its children: those
        ended too (a trainer process ends after a while unused; its time passes to its
        parent's count of waited-for children, so the sum never falls)."""
        total = 0
        for pid in self.tree() if pids is None else pids:
            try:
                fields = _stat_fields(pid)
                total += int(fields[11]) + int(fields[12])  # utime, stime
                if pids is None:
                    total += int(fields[13]) + int(fields[14])  # cutime, cstime
            except (OSError, IndexError, ValueError):
                pass
        return total

    def rss(self, pids: list[int] | None = None) -> float:
        """Resident memory in MiB of `pids`, by default the server and its children."""
        return _summed("status", "VmRSS:", self.tree() if pids is None else pids)

    def memory(self, pids: list[int] | None = None) -> float:
        """The memory in MiB the server and its children use together: a library's pages that
        every trainer process maps count once, not once a process (proportional set sizes)."""
        return _summed("smaps_rollup", "Pss:", self.tree() if pids is None else pids)


def _summed(file: str, field: str, pids: list[int]) -> float:
    """`field` of /proc/PID/`file` (in kB) summed over `pids`, in MiB; a process gone counts 0."""
    total = 0.0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
                if line.startswith(field):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def _stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat after the command's name (which may hold spaces): state, ppid, ..."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()
