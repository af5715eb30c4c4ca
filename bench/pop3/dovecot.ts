import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chownHomes, DovecotInstance, dovecotHash, dovecotMailUser } from '../lib/dovecot';

/**
 * A standalone Dovecot (POP3 only) for comparison runs: its own config, ports and directories
 * under /tmp, started in the foreground as a child of the benchmark and stopped with it. The
 * messages are written as a Maildir with LF line ends, as a delivery agent leaves them.
 */
export class DovecotPop3 {
  static available(): boolean {
    return DovecotInstance.available();
  }

  static async start(options: { port: number; user: string; password: string; messages: Buffer[] }): Promise<DovecotInstance> {
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
    const hash = dovecotHash('ARGON2ID', options.password);
    writeFileSync(join(dir, 'passwd'), `${options.user}:${hash}::::::\n`);
    chownHomes(dir);
    const { root, mailUser } = dovecotMailUser();
    return DovecotInstance.launch(
      dir,
      options.port,
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
  }
}
