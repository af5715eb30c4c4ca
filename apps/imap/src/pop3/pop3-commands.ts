import type { Logger } from '@mailroom/logger';
import type { ImapUser } from '../storage/imap-storage';
import { dotStuffed, headerAndLines } from './dot-stuffing';
import type { Pop3Line } from './line-reader';
import { Maildrop } from './maildrop';
import type { Pop3Deps } from './pop3-session';

/** An answer: +OK or -ERR with an RFC 2449 response code, and for multi-line answers the body (already terminated). */
export interface Pop3Reply {
  ok: boolean;
  text: string;
  code?: 'AUTH' | 'SYS/TEMP' | 'SYS/PERM' | 'IN-USE' | 'LOGIN-DELAY';
  body?: Array<string | Buffer>;
  /** A syntax error or a command out of place: counts toward the bad commands in a row. */
  bad?: boolean;
  /** Runs once the answer is queued (STLS starts TLS after its +OK). */
  after?: () => Promise<void>;
}

/** The session as the commands see it: no socket, no read loop. */
export interface Pop3Context {
  readonly state: 'authorization' | 'transaction';
  readonly secure: boolean;
  readonly loginAllowed: boolean;
  readonly remoteAddress: string;
  readonly logger: Logger;
  readonly deps: Pop3Deps;
  readonly maildrop: Maildrop | null;
  pendingUser: string | null;
  write(data: string | Buffer): void;
  nextLine(): Promise<Pop3Line | null>;
  upcomingRetrievals(): number[];
  enterTransaction(user: ImapUser, maildrop: Maildrop): void;
  quit(): void;
  startTls(): Promise<void>;
}

interface Pop3Command {
  states: ReadonlyArray<Pop3Context['state']>;
  run(session: Pop3Context, args: string): Promise<Pop3Reply>;
}

const AUTHORIZATION = ['authorization'] as const;
const TRANSACTION = ['transaction'] as const;
const ANY = ['authorization', 'transaction'] as const;

const ok = (text: string, body?: Array<string | Buffer>): Pop3Reply => ({ ok: true, text, body });
const err = (text: string, code?: Pop3Reply['code']): Pop3Reply => ({ ok: false, text, code });
const bad = (text: string): Pop3Reply => ({ ok: false, text, bad: true });
const PLAINTEXT_REFUSED = err('Plain-text login is allowed only after STLS (or on port POP3S)', 'SYS/PERM');
const NO_SUCH_MESSAGE = err('no such message');

/** Multi-line body from lines: each dot-stuffed, then the terminating ".". */
function lines(items: Iterable<string>): string[] {
  const out: string[] = [];
  for (const item of items) out.push(`${item.startsWith('.') ? '.' : ''}${item}\r\n`);
  out.push('.\r\n');
  return [out.join('')];
}

/** Arguments separated by single spaces (RFC 1939 3); extra spaces are forgiven. */
function words(args: string): string[] {
  return args.split(' ').filter(Boolean);
}

/** A message number argument: digits only (no sign, no exponent), else null. */
function messageNumber(value: string | undefined): number | null {
  return value !== undefined && /^\d{1,10}$/.test(value) ? Number(value) : null;
}

function capabilities(session: Pop3Context): string[] {
  const caps = ['CAPA', 'TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING'];
  if (session.state === 'authorization') {
    if (session.loginAllowed) caps.push('USER', 'SASL PLAIN');
    if (!session.secure) caps.push('STLS');
  }
  caps.push('IMPLEMENTATION Mailroom');
  return caps;
}

async function login(session: Pop3Context, user: string, password: string): Promise<Pop3Reply> {
  if (!user || user.length > 320 || password.length > 1024) return err('Invalid user name or password', 'AUTH');
  const { limiter, storage } = session.deps;
  // The same counters as IMAP logins: guessing over POP3 uses up the same allowance.
  if (await limiter.blocked(session.remoteAddress, user)) {
    session.logger.warn({ user }, 'pop3 login refused: too many failures');
    return err('Too many failed logins; try again later', 'SYS/TEMP');
  }
  const account = await storage.authenticate(user, password);
  if (!account) {
    await limiter.failed(session.remoteAddress, user);
    session.logger.info({ user }, 'pop3 login failed');
    return err('Invalid user name or password', 'AUTH');
  }
  await limiter.succeeded(session.remoteAddress, user);
  const maildrop = await Maildrop.open(storage, account);
  session.enterTransaction(account, maildrop);
  const { count, octets } = maildrop.stat();
  return ok(`Logged in; ${count} messages (${octets} octets)`);
}

function decodePlain(response: string): { authzid: string; authcid: string; password: string } | null {
  if (response === '=') response = '';
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(response) || response.length % 4) return null;
  const parts = Buffer.from(response, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3) return null;
  return { authzid: parts[0], authcid: parts[1], password: parts[2] };
}

export const POP3_COMMANDS: Record<string, Pop3Command> = {
  CAPA: {
    states: ANY,
    async run(session) {
      return ok('Capability list follows', lines(capabilities(session)));
    },
  },

  STLS: {
    states: AUTHORIZATION,
    async run(session, args) {
      if (args) return bad('STLS takes no arguments');
      if (session.secure) return err('TLS is already active');
      return { ok: true, text: 'Begin TLS negotiation', after: () => session.startTls() };
    },
  },

  USER: {
    states: AUTHORIZATION,
    async run(session, args) {
      const name = args.trim();
      if (!name) return bad('USER needs a name');
      if (!session.loginAllowed) return PLAINTEXT_REFUSED;
      session.pendingUser = name;
      return ok('Send PASS');
    },
  },

  PASS: {
    states: AUTHORIZATION,
    async run(session, args) {
      const user = session.pendingUser;
      session.pendingUser = null;
      if (!session.loginAllowed) return PLAINTEXT_REFUSED;
      if (user === null) return bad('USER first');
      // The whole rest of the line: passwords may contain spaces. Bytes came as latin1.
      return login(session, user, Buffer.from(args, 'latin1').toString('utf8'));
    },
  },

  APOP: {
    states: AUTHORIZATION,
    async run() {
      // APOP needs the password stored in the clear; we keep only a hash.
      return err('APOP is not supported; use USER/PASS or AUTH PLAIN over TLS', 'AUTH');
    },
  },

  /** RFC 5034 AUTH: PLAIN only, with the initial response inline or after "+ ". */
  AUTH: {
    states: AUTHORIZATION,
    async run(session, args) {
      const [mechanism, initial, ...extra] = words(args);
      if (!mechanism) return ok('Mechanisms follow', lines(session.loginAllowed ? ['PLAIN'] : []));
      if (extra.length) return bad('AUTH takes a mechanism and an initial response');
      if (mechanism.toUpperCase() !== 'PLAIN') return err(`mechanism ${mechanism.slice(0, 20)} is not supported`);
      if (!session.loginAllowed) return PLAINTEXT_REFUSED;
      let response = initial;
      if (response === undefined) {
        session.write('+ \r\n');
        const line = await session.nextLine();
        if (!line) return err('connection closed');
        if (line.kind !== 'line') return err('SASL response too long', 'AUTH');
        response = line.text.trim();
      }
      if (response === '*') return err('Authentication cancelled');
      const plain = decodePlain(response);
      if (!plain) return err('malformed PLAIN response', 'AUTH');
      if (plain.authzid && plain.authzid.toLowerCase() !== plain.authcid.toLowerCase()) return err('acting as another user is not allowed', 'AUTH');
      return login(session, plain.authcid, plain.password);
    },
  },

  QUIT: {
    states: ANY,
    async run(session) {
      session.quit();
      const maildrop = session.maildrop;
      if (!maildrop) return ok('Mailroom POP3 signing off');
      try {
        const removed = await maildrop.commit();
        return ok(`Mailroom POP3 signing off (${removed} messages deleted)`);
      } catch (error) {
        session.logger.error({ err: error }, 'pop3 update failed');
        return err('Some deleted messages were not removed; try again', 'SYS/TEMP');
      }
    },
  },

  STAT: {
    states: TRANSACTION,
    async run(session, args) {
      if (args) return bad('STAT takes no arguments');
      const { count, octets } = session.maildrop!.stat();
      return ok(`${count} ${octets}`);
    },
  },

  LIST: {
    states: TRANSACTION,
    async run(session, args) {
      const drop = session.maildrop!;
      const argv = words(args);
      if (argv.length > 1) return bad('LIST takes at most one message number');
      if (argv.length) {
        const n = messageNumber(argv[0]);
        if (n === null) return bad('not a message number');
        const message = drop.get(n);
        return message ? ok(`${n} ${message.size}`) : NO_SUCH_MESSAGE;
      }
      const { count, octets } = drop.stat();
      return ok(`${count} messages (${octets} octets)`, lines(mapLive(drop, (n, m) => `${n} ${m.size}`)));
    },
  },

  UIDL: {
    states: TRANSACTION,
    async run(session, args) {
      const drop = session.maildrop!;
      const argv = words(args);
      if (argv.length > 1) return bad('UIDL takes at most one message number');
      if (argv.length) {
        const n = messageNumber(argv[0]);
        if (n === null) return bad('not a message number');
        const message = drop.get(n);
        return message ? ok(`${n} ${drop.uniqueId(message)}`) : NO_SUCH_MESSAGE;
      }
      return ok('Unique ids follow', lines(mapLive(drop, (n, m) => `${n} ${drop.uniqueId(m)}`)));
    },
  },

  RETR: {
    states: TRANSACTION,
    async run(session, args) {
      const argv = words(args);
      const n = argv.length === 1 ? messageNumber(argv[0]) : null;
      if (n === null) return bad('RETR takes one message number');
      const drop = session.maildrop!;
      const message = drop.get(n);
      if (!message) return NO_SUCH_MESSAGE;
      const raw = await drop.raw(n, session.upcomingRetrievals());
      if (!raw) return err(`message ${n} was removed by another session`);
      return ok(`${message.size} octets`, dotStuffed(raw));
    },
  },

  TOP: {
    states: TRANSACTION,
    async run(session, args) {
      const argv = words(args);
      const n = messageNumber(argv[0]);
      const count = messageNumber(argv[1]);
      if (argv.length !== 2 || n === null || count === null) return bad('TOP takes a message number and a number of lines');
      const drop = session.maildrop!;
      if (!drop.get(n)) return NO_SUCH_MESSAGE;
      const raw = await drop.raw(n);
      if (!raw) return err(`message ${n} was removed by another session`);
      return ok('Top of message follows', dotStuffed(headerAndLines(raw, count)));
    },
  },

  DELE: {
    states: TRANSACTION,
    async run(session, args) {
      const argv = words(args);
      const n = argv.length === 1 ? messageNumber(argv[0]) : null;
      if (n === null) return bad('DELE takes one message number');
      const drop = session.maildrop!;
      if (!drop.get(n)) return err(`message ${n} does not exist or is already deleted`);
      drop.dele(n);
      return ok(`message ${n} deleted`);
    },
  },

  NOOP: {
    states: TRANSACTION,
    async run(_session, args) {
      return args ? bad('NOOP takes no arguments') : ok('');
    },
  },

  RSET: {
    states: TRANSACTION,
    async run(session, args) {
      if (args) return bad('RSET takes no arguments');
      session.maildrop!.rset();
      const { count, octets } = session.maildrop!.stat();
      return ok(`maildrop has ${count} messages (${octets} octets)`);
    },
  },
};

function mapLive(drop: Maildrop, format: (n: number, message: { uid: number; size: number }) => string): string[] {
  const out: string[] = [];
  for (const [n, message] of drop.live()) out.push(format(n, message));
  return out;
}
