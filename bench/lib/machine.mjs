// What the numbers were measured on, and the memory of a process, from /proc.
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

/** VmHWM (peak resident set) and VmRSS of a process in MB, from /proc/<pid>/status; null once it is gone. */
export function processMemory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return null;
  }
}

/**
 * Samples a process's VmHWM every `intervalMs` and keeps the last value read, so the peak is known
 * even after the process exited (VmHWM never decreases while it lives).
 */
export function watchPeakMemory(pid, intervalMs = 250) {
  let peakMb = NaN;
  const read = () => {
    const memory = processMemory(pid);
    if (memory && Number.isFinite(memory.peakMb)) peakMb = Number.isFinite(peakMb) ? Math.max(peakMb, memory.peakMb) : memory.peakMb;
  };
  read();
  const timer = setInterval(read, intervalMs);
  timer.unref();
  return {
    peakMb: () => {
      read();
      return peakMb;
    },
    stop: () => {
      read();
      clearInterval(timer);
      return peakMb;
    },
  };
}

export function loadAverage() {
  const [one, five, fifteen] = loadavg();
  return { one: round2(one), five: round2(five), fifteen: round2(fifteen) };
}

export function machine() {
  const cpu = cpus()[0];
  return {
    cpus: availableParallelism(),
    cpuModel: cpu?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    load: loadAverage(),
  };
}

const round2 = (n) => Math.round(n * 100) / 100;

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux). */
const CLOCK_TICKS = 100;

/** utime + stime of a process (all its threads) in ms, from /proc/<pid>/stat; NaN once it is gone. */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count the fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
