import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * A standalone Dovecot IMAP server for comparison runs (Debian's dovecot-imapd): its own config,
 * port, passwd-file and Maildirs under /tmp/mailroom-bench-dovecot-imap-*, started in the
 * foreground as a child of the benchmark and removed when it stops. The config is written out
 * in full by `config()` and documented in BENCHMARKS.md (IMAP, issue 15).
 */
export class DovecotImap {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  static available(): boolean {
    return spawnSync('dovecot', ['--version']).status === 0;
  }

  /** The dovecot.conf of a run (users' homes under `dir`/home/<user>). */
  static config(dir: string, port: number, root: boolean, mailUser: string): string {
    return `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
instance_name = bench-imap-${randomBytes(3).toString('hex')}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
${root ? 'default_internal_user = dovecot\ndefault_login_user = dovenull' : `default_internal_user = ${mailUser}\ndefault_login_user = ${mailUser}`}
mail_location = maildir:~/Maildir
# Verified credentials kept in memory for 60 s, as Mailroom's login cache does. (passwd-file
# lookups are cached only when the file's path has a variable: hence passwd.%d.)
auth_cache_size = 10M
auth_cache_ttl = 60 s
auth_cache_negative_ttl = 0
passdb {
  driver = passwd-file
  args = ${dir}/passwd.%d
}
userdb {
  driver = static
  args = uid=${mailUser} gid=${root ? 'nogroup' : mailUser} home=${dir}/home/%u
}
service imap-login {
  inet_listener imap {
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
# One imap process per session (Dovecot's default); room for the 100-session memory figure.
service imap {
  process_limit = 1024
}
protocol imap {
  mail_max_userip_connections = 10000
}
`;
  }

  /** Users `users` (addresses) with the same password, each an empty Maildir. */
  /**
   * `scheme`: doveadm pw's scheme for the passwd-file: CRYPT (bcrypt, cost 5: Debian's default)
   * or ARGON2ID. Dovecot's auth cache keeps the passdb's hash, not a verified result, so every
   * login pays the scheme's cost.
   */
  static async start(options: { port: number; users: string[]; password: string; scheme: string }): Promise<DovecotImap> {
    const dir = `/tmp/mailroom-bench-dovecot-imap-${randomBytes(4).toString('hex')}`;
    for (const user of options.users) for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, 'home', user, 'Maildir', sub), { recursive: true });
    mkdirSync(join(dir, 'run'), { recursive: true });
    mkdirSync(join(dir, 'state'), { recursive: true });
    const hash = spawnSync('doveadm', ['pw', '-s', options.scheme, '-p', options.password], { encoding: 'utf8' }).stdout.trim();
    if (!hash.startsWith(`{${options.scheme}}`)) throw new Error(`doveadm pw failed: ${hash}`);
    const domains = new Set(options.users.map((user) => user.split('@')[1]!));
    for (const domain of domains) writeFileSync(join(dir, `passwd.${domain}`), options.users.filter((u) => u.endsWith(`@${domain}`)).map((user) => `${user}:${hash}::::::\n`).join(''));
    // Mail processes may not run as root: the Maildirs belong to nobody when we are root.
    const root = userInfo().uid === 0;
    const mailUser = root ? 'nobody' : userInfo().username;
    if (root) chownTree(join(dir, 'home'), 65534, 65534);
    writeFileSync(join(dir, 'dovecot.conf'), DovecotImap.config(dir, options.port, root, mailUser));
    const child = spawn('dovecot', ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: 'ignore' });
    const dovecot = new DovecotImap(dir, options.port, child);
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

  /** Pids of the master and every process under it (login, auth, imap, ...). */
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
