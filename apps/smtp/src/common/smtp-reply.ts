/**
 * An SMTP answer decided by the inbound MTA: the basic code, the RFC 3463 enhanced code and
 * the text. Thrown (or passed) to smtp-server, which writes `<code> <enhanced> <text>`.
 */
export class SmtpReply extends Error {
  readonly responseCode: number;

  readonly text: string;

  constructor(
    code: number,
    readonly enhanced: string,
    text: string,
  ) {
    // Texts may quote what a client sent (a header, an address): a CR or LF in one would end
    // the reply line and let the rest read as another reply, so every control becomes a space.
    const line = text.replace(/[\x00-\x1f\x7f]/g, ' ');
    // smtp-server writes `${responseCode} ${message}`; the session guard keeps our enhanced
    // code instead of the generic one smtp-server would add for the basic code.
    super(`${enhanced} ${line}`);
    this.text = line;
    this.responseCode = code;
    this.name = 'SmtpReply';
  }

  override toString(): string {
    return `${this.responseCode} ${this.enhanced} ${this.text}`;
  }
}

export const Replies = {
  noSuchUser: () => new SmtpReply(550, '5.1.1', 'No such user here'),
  relayDenied: () => new SmtpReply(550, '5.7.1', 'Relay access denied: this server only accepts mail for the domains it hosts'),
  sourceRoute: () => new SmtpReply(550, '5.7.1', 'Source routes are not accepted: relay access denied'),
  routingCharacters: () => new SmtpReply(550, '5.7.1', 'Relay access denied: routing characters (%, !, quotes) in the local part'),
  tooManyRecipients: (max: number) => new SmtpReply(452, '4.5.3', `Too many recipients (at most ${max} per message)`),
  tooBig: (max: number) => new SmtpReply(552, '5.3.4', `Message exceeds fixed maximum message size of ${max} bytes`),
  lineTooLong: (max: number) => new SmtpReply(500, '5.5.2', `Line too long (at most ${max} octets per line)`),
  commandTooLong: () => new SmtpReply(500, '5.5.2', 'Line too long'),
  tooManyConnections: () => new SmtpReply(421, '4.7.0', 'Too many connections from your address, try again later'),
  sessionTooLong: () => new SmtpReply(421, '4.4.2', 'Session too long, closing the connection; please reconnect'),
  tooManyErrors: () => new SmtpReply(421, '4.7.0', 'Too many errors in this session, closing the connection'),
  notAReport: () => new SmtpReply(550, '5.7.1', 'This return-path address takes delivery reports and complaints only'),
  temporaryFailure: () => new SmtpReply(451, '4.3.0', 'Temporary local problem, please try again later'),
  lookupFailure: () => new SmtpReply(451, '4.3.0', 'Temporary lookup failure, please try again later'),
};
