import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** Peak resident set size of a process in MiB (VmHWM), or NaN when it is gone. */
export function peakRssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** `--name value` or `--name=value` from argv, else the environment variable, else the default. */
export function option(name: string, env: string, fallback: number): number {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}` && argv[i + 1]) return Number(argv[i + 1]);
    if (argv[i]!.startsWith(`--${name}=`)) return Number(argv[i]!.slice(name.length + 3));
  }
  return process.env[env] ? Number(process.env[env]) : fallback;
}

/** CPU seconds (user + system) a process has used so far, or NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds used so far by every process with this command name (all PostgreSQL backends, say). */
export function cpuSecondsOf(command: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== command) continue;
      total += cpuSeconds(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/**
 * `--quiet-below L`: waits (up to an hour, printing the load) until the machine's one-minute
 * load average is under L before the timed part starts, so a long seeding can run while the
 * machine is busy and the measuring while it is not. Without the option it returns at once.
 */
export async function waitForQuiet(): Promise<void> {
  const below = option('quiet-below', 'BENCH_QUIET_BELOW', 0);
  if (!below) return;
  const until = Date.now() + 3600_000;
  let said = 0;
  while (loadavg()[0]! >= below && Date.now() < until) {
    if (Date.now() - said > 60_000) {
      console.log(`  waiting for the load average (${fmt(loadavg()[0]!, 1)}) to fall under ${below}`);
      said = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  }
  const waited = loadavg()[0]! >= below ? ' (waited an hour: measuring anyway)' : '';
  console.log(`  measuring at load average ${loadavg().map((l) => fmt(l, 1)).join(', ')}${waited}`);
}

/**
 * CPU seconds used so far by the PostgreSQL backends connected to database `db`: on a machine
 * shared with other work, every postgres process would count other sessions' queries too. The
 * shared background processes (WAL writer, checkpointer) are not counted.
 */
export function cpuSecondsOfDatabase(db: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(` ${db} `)) continue;
      total += cpuSeconds(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}
