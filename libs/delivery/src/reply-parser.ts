/** An SMTP reply as the delivery code and the bounce classification table need it. */
export interface SmtpReply {
  /** Basic reply code (RFC 5321 4.2), 0 when the text does not start with one. */
  code: number;
  /** Enhanced status code (RFC 3463) such as "5.1.1", when the server sent one. */
  enhanced?: string;
  /** The human-readable text of every line, codes stripped, joined with a space. */
  text: string;
  /** The reply as received, lines joined with "\n". */
  response: string;
}

const LINE = /^(\d{3})(?:[ -]|$)(.*)$/;
const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?:\s+|$)/;

/**
 * Parses a (possibly multi-line) reply such as "550-5.1.1 The email account ...\n550 5.1.1 ...".
 * The enhanced code is taken from the first line that has one, and only when its class agrees
 * with the basic code's first digit: RFC 3463 says a mismatch means the enhanced code is bogus.
 */
export function parseReply(response: string): SmtpReply {
  const lines = response.split(/\r?\n/).filter((line) => line.length > 0);
  let code = 0;
  let enhanced: string | undefined;
  const texts: string[] = [];
  for (const line of lines) {
    const match = LINE.exec(line);
    if (!match) {
      texts.push(line.trim());
      continue;
    }
    if (!code) code = Number(match[1]);
    let text = match[2] ?? '';
    const status = ENHANCED.exec(text);
    if (status) {
      if (!enhanced && status[1] === match[1]![0]) enhanced = `${status[1]}.${Number(status[2])}.${Number(status[3])}`;
      text = text.slice(status[0].length);
    }
    texts.push(text.trim());
  }
  const reply: SmtpReply = { code, text: texts.filter(Boolean).join(' '), response: lines.join('\n') };
  if (enhanced) reply.enhanced = enhanced;
  return reply;
}

/** A reply Mailroom makes up itself (no server said it), in the same shape as a parsed one. */
export function localReply(code: number, enhanced: string, text: string): SmtpReply {
  return { code, enhanced, text, response: `${code} ${enhanced} ${text}` };
}
