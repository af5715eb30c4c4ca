/**
 * npm run bench:dkim [-- --rounds 5]
 *
 * CPU per message of DKIM signing (issue 16): mailauth's dkimSign (what Mailroom used) against
 * relaxed-signer.ts, for a 1 KB and a 100 KB message, with the RSA-2048 key, the Ed25519 key and
 * both (what every message gets), beside the bare crypto.sign of each key for scale. Then
 * DkimSigner as the worker runs it, on the event loop and with 2 signing threads: the event
 * loop's busy time per message (what the threads take off it) and the wall time per message.
 * Prints medians over rounds; one process, no I/O.
 */
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SecretBox } from '@mailroom/crypto';
import { DkimSigner, generateDkimKeys, mailauthSignatures, relaxedSignatures, type OpenSigningKey, type SigningKey } from '@mailroom/dkim';
import { fmt, option } from '../lib/measure';

const ROUNDS = option('rounds', 'BENCH_ROUNDS', 3);
const DOMAIN = 'sender.bench';

const crlf = (...lines: string[]) => lines.join('\r\n');
const headers = (id: string, type: string) => [
  'From: Sender <news@sender.bench>',
  'To: user1@inbox.bench',
  'Subject: =?utf-8?q?Your_order_has_shipped?=',
  'Date: Mon, 23 Nov 2026 12:42:01 +0000',
  `Message-ID: <${id}@sender.bench>`,
  'MIME-Version: 1.0',
  'List-Unsubscribe: <https://sender.bench/u/0123456789abcdef>, <mailto:u+0123456789abcdef@sender.bench>',
  'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
  `Content-Type: ${type}`,
];
const oneKb = Buffer.from(
  crlf(
    ...headers('0123456789abcdef', 'text/plain; charset=utf-8'),
    'Content-Transfer-Encoding: quoted-printable',
    '',
    ...Array.from({ length: 8 }, (_, i) => `Line ${i} of the message: your order is on its way, caf=C3=A9 included =`),
    'end',
    '',
  ),
);
const hundredKb = Buffer.from(
  crlf(
    ...headers('fedcba9876543210', 'multipart/mixed; boundary="==b1=="'),
    '',
    '--==b1==',
    'Content-Type: text/html; charset=utf-8',
    '',
    // Indented HTML: tabs and runs of spaces, the lines relaxed canonicalization has to rewrite.
    ...Array.from({ length: 150 }, (_, i) => `\t\t<tr>  <td class="item">Item ${i}</td>   <td>1</td>\t</tr>`),
    '--==b1==',
    'Content-Type: application/pdf; name="statement.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    randomBytes(68 * 1024).toString('base64').replace(/.{76}/g, '$&\r\n'),
    '--==b1==--',
    '',
  ),
);

async function cpuMicrosPerCall(fn: () => unknown): Promise<number> {
  // Enough calls for about 0.2 s of CPU, found from a first timed batch.
  let calls = 20;
  for (;;) {
    const start = process.cpuUsage();
    for (let i = 0; i < calls; i++) await fn();
    const used = process.cpuUsage(start);
    const micros = used.user + used.system;
    if (micros > 200_000) return micros / calls;
    calls *= 4;
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** DkimSigner over `count` messages, 64 in flight: event-loop busy and wall microseconds per message. */
async function signerRun(signer: DkimSigner, keys: SigningKey[], message: Buffer, count: number): Promise<{ loop: number; wall: number }> {
  const elu = performance.eventLoopUtilization();
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next++ < count) await signer.sign(message, DOMAIN, keys);
  }));
  const wall = (performance.now() - started) * 1000;
  const { active } = performance.eventLoopUtilization(elu);
  return { loop: (active * 1000) / count, wall: wall / count };
}

async function main(): Promise<void> {
  const generated = await generateDkimKeys();
  const open: OpenSigningKey[] = generated.map((k) => ({ selector: k.selector, algorithm: k.algorithm, privateKeyPem: k.privateKeyPem }));
  const [rsa, ed] = open as [OpenSigningKey, OpenSigningKey];
  const rsaKey = createPrivateKey(rsa.privateKeyPem);
  const edKey = createPrivateKey(ed.privateKeyPem);
  const data = randomBytes(600);

  const cases: Array<[string, () => unknown]> = [
    ['crypto.sign alone, RSA-2048 (600 B of header data)', () => sign('sha256', data, rsaKey)],
    ['crypto.sign alone, Ed25519 (a SHA-256)', () => sign(null, data.subarray(0, 32), edKey)],
  ];
  for (const [size, message] of [['1 KB', oneKb], ['100 KB', hundredKb]] as const) {
    for (const [keys, label] of [[[rsa], 'RSA'], [[ed], 'Ed25519'], [open, 'RSA + Ed25519']] as const) {
      cases.push([`${size}, ${label}: mailauth dkimSign`, () => mailauthSignatures(message, DOMAIN, [...keys])]);
      cases.push([`${size}, ${label}: relaxed-signer`, () => relaxedSignatures(message, DOMAIN, [...keys])]);
    }
  }
  for (const [, fn] of cases) await cpuMicrosPerCall(fn); // warm up every path before measuring any
  const results = cases.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) for (const [i, [, fn]] of cases.entries()) results[i]!.push(await cpuMicrosPerCall(fn));
  console.log(`bench:dkim  CPU per message (user + system), median of ${ROUNDS} rounds; ${oneKb.length} B and ${hundredKb.length} B messages`);
  cases.forEach(([name], i) => console.log(`${fmt(median(results[i]!), 1).padStart(9)} us  ${name}`));

  const box = new SecretBox(randomBytes(32).toString('hex'), 'dkim-keys');
  const keys: SigningKey[] = generated.map((k) => ({ selector: k.selector, algorithm: k.algorithm, privateKeyEncrypted: box.seal(k.privateKeyPem) }));
  console.log('DkimSigner, both keys, 1000 messages 64 in flight: event-loop busy / wall per message, median of rounds');
  for (const threads of [0, 2]) {
    const signer = new DkimSigner(box, { threads });
    try {
      for (const [size, message] of [['1 KB', oneKb], ['100 KB', hundredKb]] as const) {
        await signerRun(signer, keys, message, 200);
        const runs = [];
        for (let round = 0; round < ROUNDS; round++) runs.push(await signerRun(signer, keys, message, 1000));
        const loop = median(runs.map((r) => r.loop));
        const wall = median(runs.map((r) => r.wall));
        console.log(`${fmt(loop, 1).padStart(9)} us loop ${fmt(wall, 1).padStart(9)} us wall  ${size}, ${threads} signing threads`);
      }
    } finally {
      await signer.close();
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
