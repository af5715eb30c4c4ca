import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

/** Who Dovecot's mail processes run as: not root, so the Maildirs belong to nobody when we are root. */
export function dovecotMailUser(): { root: boolean; mailUser: string } {
  const root = userInfo().uid === 0;
  return { root, mailUser: root ? 'nobody' : userInfo().username };
}

/** Hands the homes under `dir`/home to nobody when the benchmark runs as root. */
export function chownHomes(dir: string): void {
  if (dovecotMailUser().root) chownTree(join(dir, 'home'), 65534, 65534);
}

/** A password hash from `doveadm pw` in `scheme` (CRYPT, ARGON2ID, ...). */
export function dovecotHash(scheme: string, password: string): string {
  const hash = spawnSync('doveadm', ['pw', '-s', scheme, '-p', password], { encoding: 'utf8' }).stdout.trim();
  if (!hash.startsWith(`{${scheme}}`)) throw new Error(`doveadm pw failed: ${hash}`);
  return hash;
}

/**
 * A standalone Dovecot run by a benchmark (bench:imap --mix, bench:pop3): the config under its
 * own directory, the master in the foreground as the benchmark's child, and its CPU counted over
 * the whole process tree. stop() ends it and removes the directory.
 */
export class DovecotInstance {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  static available(): boolean {
    return spawnSync('dovecot', ['--version']).status === 0;
  }

  /** Writes `config` as `dir`/dovecot.conf and starts Dovecot on it; resolves once it is up. */
  static async launch(dir: string, port: number, config: string): Promise<DovecotInstance> {
    writeFileSync(join(dir, 'dovecot.conf'), config);
    const child = spawn('dovecot', ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: 'ignore' });
    const dovecot = new DovecotInstance(dir, port, child);
    const deadline = Date.now() + 15_000;
    while (!readFileSafe(join(dir, 'dovecot.log')).includes('starting up')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`dovecot did not start:\n${readFileSafe(join(dir, 'dovecot.log'))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300));
    return dovecot;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Pids of the master and every process under it (login, auth, imap or pop3, ...). */
  processes(): number[] {
    const parents = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        parents.set(Number(entry), Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]));
      } catch {
        // gone meanwhile
      }
    }
    const tree = new Set<number>([this.child.pid!]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [pid, parent] of parents) {
        if (!tree.has(pid) && tree.has(parent)) {
          tree.add(pid);
          grew = true;
        }
      }
    }
    return [...tree];
  }

  /**
   * CPU seconds used so far by this instance: every process of the tree, with the reaped
   * children's counters (cutime, cstime) of each, so sessions that ended still count.
   */
  cpuSeconds(): number {
    let ticks = 0;
    for (const pid of this.processes()) {
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
      } catch {
        // gone meanwhile
      }
    }
    return ticks / 100;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) chownTree(child, uid, gid);
    else chownSync(child, uid, gid);
  }
}
