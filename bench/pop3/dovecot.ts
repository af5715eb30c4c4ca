import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * A standalone Dovecot (POP3 only) for comparison runs: its own config, ports and directories
 * under /tmp, started in the foreground as a child of the benchmark and stopped with it. The
 * messages are written as a Maildir with LF line ends, as a delivery agent leaves them.
 */
export class DovecotPop3 {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  static available(): boolean {
    return spawnSync('dovecot', ['--version']).status === 0;
  }

  static async start(options: { port: number; user: string; password: string; messages: Buffer[] }): Promise<DovecotPop3> {
    const dir = `/tmp/mailroom-bench-dovecot-${randomBytes(4).toString('hex')}`;
    const maildir = join(dir, 'home', options.user, 'Maildir');
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true });
    mkdirSync(join(dir, 'run'), { recursive: true });
    mkdirSync(join(dir, 'state'), { recursive: true });
    const base = Math.floor(Date.UTC(2026, 9, 1) / 1000);
    options.messages.forEach((raw, i) => {
      // S= the file's size, W= the size with CRLF line ends, as Dovecot's own LDA names files.
      const file = Buffer.from(raw.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
      const crlf = file.length + file.filter((byte) => byte === 0x0a).length;
      writeFileSync(join(maildir, 'cur', `${base + i}.M${i}P1.bench,S=${file.length},W=${crlf}:2,S`), file);
    });
    // A slow hash as ours is (Argon2id; we use scrypt), not {PLAIN}: logins cost on both sides alike.
    const hash = spawnSync('doveadm', ['pw', '-s', 'ARGON2ID', '-p', options.password], { encoding: 'utf8' }).stdout.trim();
    if (!hash.startsWith('{ARGON2ID}')) throw new Error(`doveadm pw failed: ${hash}`);
    writeFileSync(join(dir, 'passwd'), `${options.user}:${hash}::::::\n`);
    // Mail processes may not run as root: the Maildir belongs to nobody when we are root.
    const root = userInfo().uid === 0;
    const mailUser = root ? 'nobody' : userInfo().username;
    if (root) chownTree(join(dir, 'home'), 65534, 65534);
    writeFileSync(
      join(dir, 'dovecot.conf'),
      `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
instance_name = bench-${randomBytes(3).toString('hex')}
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
${root ? 'default_internal_user = dovecot\ndefault_login_user = dovenull' : `default_internal_user = ${mailUser}\ndefault_login_user = ${mailUser}`}
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${mailUser} gid=${root ? 'nogroup' : mailUser} home=${dir}/home/%u
}
service pop3-login {
  inet_listener pop3 {
    port = ${options.port}
  }
  inet_listener pop3s {
    port = 0
  }
}
protocol pop3 {
  mail_max_userip_connections = 10000
}
`,
    );
    const child = spawn('dovecot', ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: 'ignore' });
    const dovecot = new DovecotPop3(dir, options.port, child);
    const deadline = Date.now() + 15_000;
    while (!readFileSafe(join(dir, 'dovecot.log')).includes('starting up')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`dovecot did not start:\n${readFileSafe(join(dir, 'dovecot.log'))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300));
    return dovecot;
  }

  /**
   * CPU seconds used so far by this instance: the master with its reaped children (cutime,
   * cstime: pop3 and login processes exit at the end of each session) plus those still running.
   */
  cpuSeconds(): number {
    const stats = new Map<number, string[]>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        stats.set(Number(entry), readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' '));
      } catch {
        // gone meanwhile
      }
    }
    const tree = new Set<number>([this.child.pid!]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [pid, fields] of stats) {
        if (!tree.has(pid) && tree.has(Number(fields[1]))) {
          tree.add(pid);
          grew = true;
        }
      }
    }
    let ticks = 0;
    for (const pid of tree) {
      const fields = stats.get(pid);
      if (fields) ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
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
