// CPU time of the processes behind a measurement, read from /proc (Linux only; elsewhere NaN):
// the facilitator's own process, anvil, the PostgreSQL backends of the bench database, the Redis
// server, and the load generator itself. Divided by the valid verdicts of a phase it says what one
// verify costs each of them, which throughput alone cannot say on a shared 2-core machine.
import { readdirSync, readFileSync } from 'node:fs';
import { Client } from 'pg';

/** Kernel clock ticks per second (`getconf CLK_TCK`; 100 on Linux x86-64 and arm64). */
const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU seconds `pid` has used so far; NaN when it cannot be read. */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** The first process whose command name (`/proc/<pid>/comm`) is `name`, or null. */
export function pidByName(name: string): number | null {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) return Number(entry);
      } catch {
        // The process ended meanwhile.
      }
    }
  } catch {
    return null;
  }
  return null;
}

/** The backend pids of every session currently open on `databaseName`. */
export async function databaseBackendPids(databaseUrl: string, databaseName: string): Promise<number[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [databaseName],
    );
    return rows.map((row) => row.pid);
  } finally {
    await client.end();
  }
}

/** Named groups of pids, read again at each sample (a pool may open or close sessions meanwhile). */
export type CpuGroups = Readonly<Record<string, () => Promise<readonly number[]>>>;

/** CPU seconds per group and pid, plus this process under `load generator`. */
export type CpuSample = Readonly<Record<string, ReadonlyMap<number, number>>>;

export const LOAD_GENERATOR = 'load generator';

export async function sampleCpu(groups: CpuGroups): Promise<CpuSample> {
  const usage = process.cpuUsage();
  const sample: Record<string, Map<number, number>> = {
    [LOAD_GENERATOR]: new Map([[process.pid, (usage.user + usage.system) / 1e6]]),
  };
  for (const [name, pidsOf] of Object.entries(groups)) {
    const seconds = new Map<number, number>();
    for (const pid of await pidsOf()) {
      const value = cpuSecondsOf(pid);
      if (Number.isFinite(value)) seconds.set(pid, value);
    }
    sample[name] = seconds;
  }
  return sample;
}

/**
 * CPU seconds used per group between two samples: per pid, the difference, or all of it for a
 * pid that appeared meanwhile; a pid gone by the second sample is not counted (its last moments
 * are lost, which can only make a figure smaller).
 */
export function cpuBetween(before: CpuSample, after: CpuSample): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after).map(([name, pids]) => {
      let total = 0;
      for (const [pid, seconds] of pids) total += seconds - (before[name]?.get(pid) ?? 0);
      return [name, total];
    }),
  );
}
