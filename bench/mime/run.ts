/**
 * node dist/bench/mime/run.js [--rounds 5]
 *
 * CPU per message of every place Mailroom reads mail, in one process with no I/O, so that a
 * change to libs/mime can be measured on a busy machine (the end-to-end benches there measure
 * the machine's other work as much as ours): the mail store's preparation of a message (CRLF,
 * MIME tree, ENVELOPE, BODYSTRUCTURE, summary), bounce report analysis, the relay's reading of a
 * submission's headers and senders, and the API's address checks. Prints the median over rounds
 * of microseconds of CPU (user + system) per call.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeInboundMessage } from '@mailroom/bounce';
import { parseAddress, readHeaders, submittedSenders } from '@mailroom/compose';
import { prepareMessage } from '@mailroom/mailstore';
import { fmt, option } from '../lib/measure';

const ROUNDS = option('rounds', 'BENCH_ROUNDS', 5);

const crlf = (...lines: string[]) => lines.join('\r\n');
const oneKb = Buffer.from(
  crlf(
    'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=sender.bench; s=b1; h=from:to:subject:date:message-id;',
    ' bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSBidXQgaXQgaGFzIHRoZSBzaGFwZQ==',
    'From: Sender <news@sender.bench>',
    'To: user1@inbox.bench',
    'Subject: =?utf-8?q?Your_order_has_shipped?=',
    'Date: Mon, 23 Nov 2026 12:42:01 +0000',
    'Message-ID: <0123456789abcdef@sender.bench>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    ...Array.from({ length: 12 }, (_, i) => `Line ${i} of the message: your order is on its way, caf=C3=A9 included =`),
    'end',
    '',
  ),
);
const attachment = Buffer.alloc(72 * 1024, 7).toString('base64').replace(/.{76}/g, '$&\r\n');
const hundredKb = Buffer.from(
  crlf(
    'From: Sender <news@sender.bench>',
    'To: user1@inbox.bench',
    'Subject: Monthly statement',
    'Date: Mon, 23 Nov 2026 12:42:01 +0000',
    'Message-ID: <fedcba9876543210@sender.bench>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="==b1=="',
    '',
    '--==b1==',
    'Content-Type: multipart/alternative; boundary="==b2=="',
    '',
    '--==b2==',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Your statement is attached.'.repeat(40),
    '--==b2==',
    'Content-Type: text/html; charset=utf-8',
    '',
    `<p>${'Your statement is attached. '.repeat(40)}</p>`,
    '--==b2==--',
    '--==b1==',
    'Content-Type: application/pdf; name="statement.pdf"',
    'Content-Disposition: attachment; filename="statement.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    attachment,
    '--==b1==--',
    '',
  ),
);
const dsn = readFileSync(join(__dirname, '../../../libs/bounce/test/samples/postfix-user-unknown.eml'));
const submission = Buffer.from(crlf('From: "Shop (orders)" <orders@shop.bench>', 'Sender: app@shop.bench', 'Reply-To: Help <help@elsewhere.bench>', 'To: Ann <ann@customers.bench>', 'Subject: Order 1001', '', 'body', ''));

const cases: Array<[string, () => unknown]> = [
  ['mail store: prepare a 1 KB message', () => prepareMessage(oneKb)],
  ['mail store: prepare a 100 KB multipart message', () => prepareMessage(hundredKb)],
  ['bounce: analyze a Postfix DSN', () => analyzeInboundMessage(dsn)],
  ['relay: read headers and senders of a submission', () => submittedSenders(readHeaders(submission))],
  ['API: check the address "Ann Smith <ann@customers.bench>"', () => parseAddress('Ann Smith <ann@customers.bench>', 'to')],
];

function cpuMicrosPerCall(fn: () => unknown): number {
  // Enough calls for about 0.2 s of CPU, found from a first timed batch.
  let calls = 50;
  for (;;) {
    const start = process.cpuUsage();
    for (let i = 0; i < calls; i++) fn();
    const used = process.cpuUsage(start);
    const micros = used.user + used.system;
    if (micros > 200_000) return micros / calls;
    calls *= 4;
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

for (const [, fn] of cases) cpuMicrosPerCall(fn); // warm up every path before measuring any
const results = cases.map(() => [] as number[]);
for (let round = 0; round < ROUNDS; round++) cases.forEach(([, fn], i) => results[i]!.push(cpuMicrosPerCall(fn)));
console.log(`bench:mime  CPU per call (user + system), median of ${ROUNDS} rounds`);
cases.forEach(([name], i) => console.log(`${fmt(median(results[i]!), 1).padStart(9)} us  ${name}`));
