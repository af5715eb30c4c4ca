import { Args, ParseError } from '../protocol/command-parser';
import type { CommandSession } from '../session/command-session';
import { bad, no, ok, type CommandHandler, type CommandResult } from './command';

const NOT_AUTHENTICATED = ['not-authenticated' as const];

export const STARTTLS: CommandHandler = {
  states: NOT_AUTHENTICATED,
  async run(session, command) {
    new Args(command.args).end();
    if (session.secure) return bad('TLS is already active');
    return { status: 'OK', text: 'Begin TLS negotiation now', after: () => session.startTls() };
  },
};

export const LOGIN: CommandHandler = {
  states: NOT_AUTHENTICATED,
  async run(session, command) {
    const args = new Args(command.args);
    const user = args.astring('user name');
    const password = args.astring('password');
    args.end();
    if (!session.loginAllowed) return no('Log in after STARTTLS', 'PRIVACYREQUIRED');
    return login(session, user, password);
  },
};

/** AUTHENTICATE PLAIN (RFC 4616), with the initial response inline (SASL-IR) or after `+`. */
export const AUTHENTICATE: CommandHandler = {
  states: NOT_AUTHENTICATED,
  async run(session, command) {
    const args = new Args(command.args);
    const mechanism = args.atom('mechanism').toUpperCase();
    const initial = args.remaining ? args.atom('initial response') : null;
    args.end();
    if (mechanism !== 'PLAIN') return no(`mechanism ${mechanism.slice(0, 20)} is not supported`, 'CANNOT');
    if (!session.loginAllowed) return no('Log in after STARTTLS', 'PRIVACYREQUIRED');
    let response = initial;
    if (response === null) {
      await session.write('+ \r\n');
      const frame = await session.nextFrame();
      if (!frame || frame.kind !== 'command' || frame.literals.length) return bad('bad SASL response');
      response = frame.segments[0].trim();
    }
    if (response === '*') return bad('AUTHENTICATE cancelled');
    if (response === '=') response = '';
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(response)) return bad('SASL response is not base64');
    const parts = Buffer.from(response, 'base64').toString('utf8').split('\0');
    if (parts.length !== 3) return bad('malformed PLAIN response');
    const [authzid, authcid, password] = parts;
    if (authzid && authzid.toLowerCase() !== authcid.toLowerCase()) return no('acting as another user is not allowed', 'AUTHORIZATIONFAILED');
    return login(session, authcid, password);
  },
};

async function login(session: CommandSession, user: string, password: string): Promise<CommandResult> {
  if (!user || user.length > 320 || password.length > 1024) throw new ParseError('user name or password too long');
  const { limiter, storage } = session.deps;
  if (await limiter.blocked(session.remoteAddress, user)) {
    session.logger.warn({ user }, 'imap login refused: too many failures');
    session.deps.metrics.logins.inc({ result: 'limited' });
    return no('Too many failed logins; try again later', 'UNAVAILABLE');
  }
  const account = await storage.authenticate(user, password);
  if (!account) {
    await limiter.failed(session.remoteAddress, user);
    session.logger.info({ user }, 'imap login failed');
    session.deps.metrics.logins.inc({ result: 'failed' });
    return no('Invalid user name or password', 'AUTHENTICATIONFAILED');
  }
  await limiter.succeeded(session.remoteAddress, user);
  session.deps.metrics.logins.inc({ result: 'ok' });
  session.authenticated(account);
  return ok('Logged in', `CAPABILITY ${session.capabilities().join(' ')}`);
}
