import { describe, expect, it } from 'vitest';
import { bodyStructureData, envelopeData } from './imap-data';
import { crlf, renderImapData } from './mime-test-helpers';
import { parseMessage, type MimePart } from './mime-tree';

const bodyOf = (raw: Buffer, part: MimePart) => raw.toString('utf8', part.bodyStart, part.bodyEnd);
const headerOf = (raw: Buffer, part: MimePart) => raw.toString('utf8', part.headerStart, part.bodyStart);

describe('parseMessage: a plain text message', () => {
  const raw = crlf(
    'From: "Doe, John" <john@example.com>',
    'To: a@b.c, Group: x@y.z, "Q" <q@r.s>;',
    'Subject: =?utf-8?q?h=C3=A9llo?=',
    ' world',
    'Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)',
    'Message-ID: <abc@example.com>',
    '',
    'line one',
    'line two',
    '',
  );
  const parsed = parseMessage(raw);

  it('reports text/plain us-ascii 7bit with size and line count when nothing says otherwise', () => {
    expect(renderImapData(bodyStructureData(parsed.root, true))).toBe('("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 20 2 NIL NIL NIL NIL)');
    expect(renderImapData(bodyStructureData(parsed.root, false))).toBe('("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 20 2)');
  });

  it('builds the ENVELOPE from raw unfolded values, groups marked, Sender and Reply-To from From', () => {
    expect(renderImapData(envelopeData(parsed.envelope))).toBe(
      '("Mon, 7 Feb 1994 21:52:25 -0800 (PST)" "=?utf-8?q?h=C3=A9llo?= world" ' +
        '(("Doe, John" NIL "john" "example.com")) (("Doe, John" NIL "john" "example.com")) (("Doe, John" NIL "john" "example.com")) ' +
        '((NIL NIL "a" "b.c")(NIL NIL "Group" NIL)(NIL NIL "x" "y.z")("Q" NIL "q" "r.s")(NIL NIL NIL NIL)) NIL NIL NIL "<abc@example.com>")',
    );
  });

  it('knows where the header ends', () => {
    expect(headerOf(raw, parsed.root).endsWith('Message-ID: <abc@example.com>\r\n\r\n')).toBe(true);
    expect(bodyOf(raw, parsed.root)).toBe('line one\r\nline two\r\n');
  });
});

describe('parseMessage: nested multipart with an attached message', () => {
  const raw = crlf(
    'From: a@example.com',
    'Subject: nested',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="outer"',
    '',
    'preamble',
    '--outer',
    'Content-Type: multipart/alternative; boundary=inner',
    '',
    '--inner',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'caf=C3=A9',
    '--inner',
    'Content-Type: text/html; charset="utf-8"',
    '',
    '<p>cafe</p>',
    '<p>two</p>',
    '--inner--',
    '',
    '--outer',
    `Content-Type: application/pdf; name*0*=utf-8''r%C3%A9sum; name*1=".pdf"`,
    'Content-Disposition: attachment; filename="resume.pdf" (a comment)',
    'Content-Language: en, de',
    'Content-Location: http://x/y',
    'Content-ID: <part3@x>',
    'Content-Description: =?utf-8?q?CV?=',
    'Content-Transfer-Encoding: BASE64',
    '',
    'AAAA',
    '--outer',
    'Content-Type: message/rfc822',
    '',
    'From: inner@example.com',
    'Subject: inside',
    'Content-Type: multipart/mixed; boundary=deep',
    '',
    '--deep',
    'Content-Type: text/plain',
    '',
    'deep text',
    '--deep--',
    '--outer--',
    'epilogue',
    '',
  );
  const { root } = parseMessage(raw);
  const [alternative, pdf, attached] = root.parts!;

  it('splits parts with the line break before each boundary belonging to the boundary', () => {
    expect(root.parts).toHaveLength(3);
    expect(alternative.parts!.map((p) => bodyOf(raw, p))).toEqual(['caf=C3=A9', '<p>cafe</p>\r\n<p>two</p>']);
    expect(bodyOf(raw, pdf)).toBe('AAAA');
    expect(headerOf(raw, pdf).startsWith('Content-Type: application/pdf')).toBe(true);
    expect(bodyOf(raw, attached).startsWith('From: inner@example.com\r\n')).toBe(true);
    expect(bodyOf(raw, attached).endsWith('deep text\r\n--deep--')).toBe(true);
  });

  it('parses the attached message down to its own parts', () => {
    const inner = attached.message!;
    expect(inner.envelope.subject).toBe('inside');
    expect(inner.root.type).toBe('multipart');
    expect(bodyOf(raw, inner.root.parts![0])).toBe('deep text');
    expect(inner.root.parts![0].params).toEqual([]);
  });

  it('writes BODYSTRUCTURE with extension data, RFC 2231 continuations joined, languages as a list', () => {
    const attachedSize = attached.bodyEnd - attached.bodyStart;
    const alternativePart =
      '(("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 9 0 NIL NIL NIL NIL)' +
      '("text" "html" ("charset" "utf-8") NIL NIL "7bit" 23 1 NIL NIL NIL NIL) "alternative" ("boundary" "inner") NIL NIL NIL)';
    const pdfPart = `("application" "pdf" ("name*" "utf-8''r%C3%A9sum.pdf") "<part3@x>" "=?utf-8?q?CV?=" "base64" 4 NIL ("attachment" ("filename" "resume.pdf")) ("en" "de") "http://x/y")`;
    const innerEnvelope = '(NIL "inside" ((NIL NIL "inner" "example.com")) ((NIL NIL "inner" "example.com")) ((NIL NIL "inner" "example.com")) NIL NIL NIL NIL NIL)';
    const innerBody = '(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 0 NIL NIL NIL NIL) "mixed" ("boundary" "deep") NIL NIL NIL)';
    const messagePart = `("message" "rfc822" NIL NIL NIL "7bit" ${attachedSize} ${innerEnvelope} ${innerBody} 8 NIL NIL NIL NIL)`;
    expect(renderImapData(bodyStructureData(root, true))).toBe(`(${alternativePart}${pdfPart}${messagePart} "mixed" ("boundary" "outer") NIL NIL NIL)`);
  });

  it('writes BODY without extension data', () => {
    expect(renderImapData(bodyStructureData(alternative, false))).toBe(
      '(("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 9 0)("text" "html" ("charset" "utf-8") NIL NIL "7bit" 23 1) "alternative")',
    );
  });
});

describe('parseMessage: odd and broken input', () => {
  it('describes a multipart of more than 10,000 parts as opaque data', () => {
    const raw = Buffer.from(`Content-Type: multipart/mixed; boundary=b\r\n\r\n${'--b\r\n'.repeat(50_000)}--b--\r\n`);
    const parsed = parseMessage(raw);
    expect(parsed.root.type).toBe('application');
    expect(parsed.root.parts).toBeUndefined();
    const fine = Buffer.from(`Content-Type: multipart/mixed; boundary=b\r\n\r\n${'--b\r\n\r\nx\r\n'.repeat(100)}--b--\r\n`);
    expect(parseMessage(fine).root.parts).toHaveLength(100);
  });

  it('treats parts without Content-Type under multipart/digest as message/rfc822', () => {
    const raw = crlf('Content-Type: multipart/digest; boundary=d', '', '--d', '', 'Subject: one', '', 'body', '--d--', '');
    const { root } = parseMessage(raw);
    expect(root.parts![0].type).toBe('message');
    expect(root.parts![0].message!.envelope.subject).toBe('one');
  });

  it('ends the last part at the end of the message when the close delimiter is missing', () => {
    const raw = crlf('Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: text/plain', '', 'unfinished', '');
    const { root } = parseMessage(raw);
    expect(root.parts).toHaveLength(1);
    expect(bodyOf(raw, root.parts![0])).toBe('unfinished\r\n');
  });

  it('reports a multipart whose boundary never appears with one empty text part', () => {
    const raw = crlf('Content-Type: multipart/mixed; boundary=b', '', 'no parts here', '');
    const { root } = parseMessage(raw);
    expect(root.parts).toEqual([]);
    expect(renderImapData(bodyStructureData(root, false))).toBe('(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) "mixed")');
  });

  it('ignores Content-* fields of a message that is not MIME', () => {
    const raw = crlf('Subject: old', 'Content-Transfer-Encoding: base64', '', 'hi', '');
    expect(parseMessage(raw).root.encoding).toBe('7bit');
  });

  it('handles LF-only line endings, a header with no body and an empty message', () => {
    const lf = Buffer.from('Content-Type: multipart/mixed; boundary=x\n\n--x\n\nfirst\n--x--\n');
    expect(bodyOf(lf, parseMessage(lf).root.parts![0])).toBe('first');
    const headerOnly = Buffer.from('Subject: no body\r\n');
    expect(parseMessage(headerOnly).root.bodyStart).toBe(headerOnly.length);
    const empty = parseMessage(Buffer.alloc(0));
    expect(renderImapData(bodyStructureData(empty.root, false))).toBe('("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0)');
    expect(empty.envelope.from).toBeNull();
  });

  it('survives hostile nesting and binary garbage', () => {
    let nested = '';
    for (let i = 0; i < 200; i++) nested += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
    const deep = parseMessage(Buffer.from(nested + 'x\r\n'));
    expect(JSON.stringify(deep.root).length).toBeGreaterThan(0);
    const garbage = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256));
    expect(() => parseMessage(garbage)).not.toThrow();
  });
});
