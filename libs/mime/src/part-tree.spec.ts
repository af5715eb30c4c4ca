import { describe, expect, it } from 'vitest';
import { contentField, nodeBody, parseMimeTree, type MimeNode, type PartTreeOptions } from './part-tree';

const STORE: PartTreeOptions = { maxDepth: 40, maxParts: 10_000, messageTypes: new Set(['message/rfc822']) };
const REPORTS: PartTreeOptions = { maxDepth: 6, maxParts: 200, maxHeaderBytes: 256 * 1024, messageTypes: new Set(['message/rfc822', 'message/global']), decodeMessagesUpTo: 1024 * 1024 };
const crlf = (...lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');
const body = (node: MimeNode) => nodeBody(node).toString('utf8');
const typeOf = (node: MimeNode) => `${node.type}/${node.subtype}`;

describe('parseMimeTree', () => {
  it('reads an attached message where it stands, or from its decoded copy when asked', () => {
    const inner = 'Subject: inside\r\n\r\nhello\r\n';
    const raw = crlf('MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: message/global', 'Content-Transfer-Encoding: base64', '', Buffer.from(inner).toString('base64'), '--b--', '');
    const inPlace = parseMimeTree(raw, { ...STORE, messageTypes: new Set(['message/global']) }).parts![0]!.message!;
    expect(inPlace.source).toBe(raw);
    expect(contentField(inPlace, 'subject')).toBeUndefined();
    const decoded = parseMimeTree(raw, REPORTS).parts![0]!.message!;
    expect(decoded.fields.map((f) => `${f.key}=${f.value}`)).toEqual(['subject=inside']);
    expect(body(decoded)).toBe('hello\r\n');
  });

  // The report reader (libs/bounce) used to return the part before a final "--b" with no line
  // break after it twice; the mail store's reading, kept here, ends the part there and opens an
  // empty one, as a delimiter line does.
  it('does not repeat the last part when the message ends on a delimiter without a line break', () => {
    const raw = crlf('Content-Type: multipart/mixed; boundary=b', '', '--b', '', 'one', '--b');
    for (const options of [STORE, REPORTS]) expect(parseMimeTree(raw, options).parts!.map(body)).toEqual(['one', '']);
  });

  // The report reader used to open the first parts up to its budget; a multipart that would pass
  // it is now left opaque for every reader, as the mail store did.
  it('leaves a multipart with more parts than allowed unopened, and one nested too deep', () => {
    const many = Buffer.from(`Content-Type: multipart/mixed; boundary=b\r\n\r\n${'--b\r\n\r\nx\r\n'.repeat(201)}--b--\r\n`);
    const root = parseMimeTree(many, REPORTS);
    expect(root.opaque).toBe(true);
    expect(root.parts).toBeUndefined();
    expect(parseMimeTree(many, STORE).parts).toHaveLength(201);
    let nested = '';
    for (let i = 0; i < 8; i++) nested += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
    let node = parseMimeTree(Buffer.from(`${nested}x\r\n`), REPORTS);
    for (let depth = 0; depth < 6; depth++) node = node.parts![0]!;
    expect(node).toMatchObject({ type: 'multipart', opaque: true });
    expect(node.parts).toBeUndefined();
  });

  // RFC 2045 section 4: without MIME-Version or Content-Type a message is not MIME. The report
  // reader used to undo a Content-Transfer-Encoding there too.
  it('ignores the Content-* fields of a message that is not MIME', () => {
    const plain = parseMimeTree(crlf('Subject: old', 'Content-Transfer-Encoding: base64', '', 'aGk=', ''), REPORTS);
    expect(plain).toMatchObject({ mime: false, encoding: '7bit', type: 'text', subtype: 'plain' });
    expect(contentField(plain, 'content-transfer-encoding')).toBeUndefined();
    const mime = parseMimeTree(crlf('MIME-Version: 1.0', 'Content-Transfer-Encoding: base64', '', 'aGk=', ''), REPORTS);
    expect(mime.encoding).toBe('base64');
  });

  // RFC 2045 section 5.1: type and subtype are tokens. The mail store used to join what white
  // space split ("application/pd f" was application/pdf, a folded "message/rfc822 x" became
  // message/rfc822x) and to unquote a quoted type; the report reader refused some token characters.
  it('takes text/plain for a Content-Type that is not type/subtype tokens, with comments and spaces around them allowed', () => {
    const typeFor = (value: string) => typeOf(parseMimeTree(crlf(`Content-Type: ${value}`, '', ''), STORE));
    expect(typeFor('application/pd f')).toBe('text/plain');
    expect(typeFor('message/rfc822\r\n x')).toBe('text/plain');
    expect(typeFor('"application/pdf"')).toBe('text/plain');
    expect(typeFor('text/plain/x')).toBe('text/plain');
    expect(typeFor('application / pdf (a comment)')).toBe('application/pdf');
    expect(typeFor("application/x-pkcs7~sig'1; name=x")).toBe("application/x-pkcs7~sig'1");
    const digest = parseMimeTree(crlf('Content-Type: multipart/digest; boundary=d', '', '--d', 'Content-Type: bad', '', 'Subject: one', '', '--d--', ''), STORE);
    expect(typeOf(digest.parts![0]!)).toBe('message/rfc822');
  });

  it('cuts a header flood where asked', () => {
    const raw = Buffer.from(`Subject: x\r\nX-Long: ${'a'.repeat(300)}\r\n\r\nbody`);
    const cut = parseMimeTree(raw, { ...REPORTS, maxHeaderBytes: 100 });
    expect(cut.bodyStart).toBe(100);
    expect(parseMimeTree(raw, STORE).bodyStart).toBe(raw.length - 4);
  });
});
