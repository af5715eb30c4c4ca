import { Args, ParseError, type Token, tokenText } from '../protocol/command-parser';
import { imapString } from '../protocol/response-writer';
import { ANY, AUTHENTICATED, bad, ok, type CommandHandler } from './command';

const VERSION = '0.1.0';

export const CAPABILITY: CommandHandler = {
  states: ANY,
  async run(session, command) {
    new Args(command.args).end();
    await session.write(`* CAPABILITY ${session.capabilities().join(' ')}\r\n`);
    return ok('CAPABILITY completed');
  },
};

export const NOOP: CommandHandler = {
  states: ANY,
  forceSync: true,
  async run(_session, command) {
    new Args(command.args).end();
    return ok('NOOP completed');
  },
};

export const LOGOUT: CommandHandler = {
  states: ANY,
  async run(session, command) {
    new Args(command.args).end();
    await session.write('* BYE Mailroom IMAP logging out\r\n');
    session.deselect();
    session.state = 'logout';
    return { status: 'OK', text: 'LOGOUT completed', skipSync: true };
  },
};

/** RFC 2971: the client's identification is logged; ours is name and version. */
export const ID: CommandHandler = {
  states: ANY,
  async run(session, command) {
    const args = new Args(command.args);
    const token = args.next('ID parameters');
    args.end();
    if (token.type === 'list') {
      const items = token.items.map((t) => (t.type === 'atom' && t.value.toUpperCase() === 'NIL' ? null : tokenText(t, 'ID value')));
      if (items.length % 2 || items.length > 60) throw new ParseError('ID takes up to 30 field-value pairs');
      const fields: Record<string, string> = {};
      for (let i = 0; i < items.length; i += 2) if (items[i] !== null) fields[items[i]!.slice(0, 30)] = (items[i + 1] ?? '').slice(0, 1024);
      session.clientId = fields;
      session.logger.info({ client: fields }, 'imap client id');
    } else if (!(token.type === 'atom' && token.value.toUpperCase() === 'NIL')) {
      throw new ParseError('ID takes a list or NIL');
    }
    await session.write(`* ID ("name" "Mailroom" "version" ${imapString(VERSION)} "vendor" "Mailroom")\r\n`);
    return ok('ID completed');
  },
};

/** RFC 5161: CONDSTORE and QRESYNC (which implies CONDSTORE) are what can be enabled. */
export const ENABLE: CommandHandler = {
  states: AUTHENTICATED,
  async run(session, command) {
    if (!command.args.length) throw new ParseError('ENABLE needs capability names');
    const enabled: string[] = [];
    for (const token of command.args) {
      const name = atomText(token).toUpperCase();
      if ((name === 'CONDSTORE' || name === 'QRESYNC') && !session.enabled.has(name)) {
        session.enabled.add(name);
        session.condstore = true;
        if (name === 'QRESYNC') session.qresync = true;
        enabled.push(name);
      }
    }
    await session.write(`* ENABLED${enabled.map((e) => ` ${e}`).join('')}\r\n`);
    return ok('ENABLE completed');
  },
};

/** RFC 2342: one personal namespace with no prefix and `/` as the separator. */
export const NAMESPACE: CommandHandler = {
  states: AUTHENTICATED,
  async run(session, command) {
    new Args(command.args).end();
    await session.write('* NAMESPACE (("" "/")) NIL NIL\r\n');
    return ok('NAMESPACE completed');
  },
};

/**
 * RFC 2177: changes to the selected folder are pushed as they happen (other processes' too,
 * through the store's notifications) until the client sends DONE.
 */
export const IDLE: CommandHandler = {
  states: AUTHENTICATED,
  async run(session, command) {
    new Args(command.args).end();
    await session.write('+ idling\r\n');
    session.idling = true;
    try {
      await session.syncSelected({ expunge: true, force: true });
      const frame = await session.nextFrame();
      if (!frame) return ok('IDLE terminated');
      const done = frame.kind === 'command' && frame.literals.length === 0 && frame.segments[0].trim().toUpperCase() === 'DONE';
      if (!done) return bad('expected DONE');
    } finally {
      session.idling = false;
    }
    return ok('IDLE terminated');
  },
};

function atomText(token: Token): string {
  if (token.type !== 'atom') throw new ParseError('expected an atom');
  return token.value;
}
