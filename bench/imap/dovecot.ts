import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chownHomes, DovecotInstance, dovecotHash, dovecotMailUser } from '../lib/dovecot';

/**
 * A standalone Dovecot IMAP server for comparison runs (Debian's dovecot-imapd): its own config,
 * port, passwd-file and Maildirs under /tmp/mailroom-bench-dovecot-imap-*, started in the
 * foreground as a child of the benchmark and removed when it stops. The config is written out
 * in full by `config()` and documented in BENCHMARKS.md (IMAP, issue 15).
 */
export class DovecotImap {
  static available(): boolean {
    return DovecotInstance.available();
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

  /**
   * Users `users` (addresses) with the same password, each an empty Maildir. `scheme`: doveadm
   * pw's scheme for the passwd-file: CRYPT (bcrypt, cost 5: Debian's default) or ARGON2ID.
   * Dovecot's auth cache keeps the passdb's hash, not a verified result, so every login pays the
   * scheme's cost.
   */
  static async start(options: { port: number; users: string[]; password: string; scheme: string }): Promise<DovecotInstance> {
    const dir = `/tmp/mailroom-bench-dovecot-imap-${randomBytes(4).toString('hex')}`;
    for (const user of options.users) for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, 'home', user, 'Maildir', sub), { recursive: true });
    mkdirSync(join(dir, 'run'), { recursive: true });
    mkdirSync(join(dir, 'state'), { recursive: true });
    const hash = dovecotHash(options.scheme, options.password);
    const domains = new Set(options.users.map((user) => user.split('@')[1]!));
    for (const domain of domains) writeFileSync(join(dir, `passwd.${domain}`), options.users.filter((u) => u.endsWith(`@${domain}`)).map((user) => `${user}:${hash}::::::\n`).join(''));
    chownHomes(dir);
    const { root, mailUser } = dovecotMailUser();
    return DovecotInstance.launch(dir, options.port, DovecotImap.config(dir, options.port, root, mailUser));
  }
}
