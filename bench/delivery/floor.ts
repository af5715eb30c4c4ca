/**
 * npm run bench:delivery-floor [-- --n 5000 --concurrency 50]
 *
 * What one message costs before Mailroom stores, queues or tracks anything: compose its MIME
 * (nodemailer), DKIM-sign it (mailauth, RSA-2048 and Ed25519, as the worker does) and send it
 * over pooled SMTP connections (nodemailer's client) to the lean sink, each stage timed alone in
 * this one process. The sum is a floor under bench:delivery's CPU per message: divide the
 * machine's cores by it for the most any design built on these libraries could deliver here.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { composeMessage, parseAddress } from '@mailroom/compose';
import { SecretBox } from '@mailroom/crypto';
import { DkimSigner, generateDkimKeys, type SigningKey } from '@mailroom/dkim';
import { SmtpPool } from '@mailroom/delivery';
import { availableParallelism } from 'node:os';
import { LeanSink } from '../lib/lean-sink';
import { fmt, option } from '../lib/measure';

const N = option('n', 'BENCH_N', 5_000);
const CONCURRENCY = option('concurrency', 'BENCH_CONCURRENCY', 50);

/** CPU milliseconds this process spends in `work`, per item. */
async function cpuPerItem(count: number, work: () => Promise<void>): Promise<{ cpuMs: number; wallMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000 / count, wallMs: (performance.now() - started) / count };
}

async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await task(next++);
  }));
}

async function main(): Promise<void> {
  const box = new SecretBox(randomBytes(32).toString('hex'), 'dkim-keys');
  const keys: SigningKey[] = (await generateDkimKeys()).map((k) => ({ selector: k.selector, algorithm: k.algorithm, privateKeyEncrypted: box.seal(k.privateKeyPem) }));
  const signer = new DkimSigner(box);
  const sink = await LeanSink.start('127.0.0.1');
  const pool = new SmtpPool({ name: 'bench.mailroom.test', maxIdlePerHost: CONCURRENCY });
  const hosts = [{ host: 'mx.inbox.test', port: sink.port, addresses: ['127.0.0.1'], priority: 10 }];
  const from = parseAddress('Bench <news@sender.test>', 'from');
  console.log(`bench:delivery-floor  N=${fmt(N)} concurrency=${CONCURRENCY} (one process: compose, then sign, then send)`);

  const raw: Buffer[] = new Array(N);
  const compose = await cpuPerItem(N, () =>
    inParallel(N, CONCURRENCY, async (i) => {
      raw[i] = await composeMessage({
        from, to: [parseAddress(`user${i}@inbox.test`, 'to')], cc: [], subject: `Order ${i} confirmed`,
        text: `Hello user ${i},\n\nyour order ${i} is on its way.\n`, html: `<p>Hello user ${i},</p><p>your order <b>${i}</b> is on its way.</p>`,
        attachments: [], headers: [], messageId: `${i}.${randomBytes(8).toString('hex')}@bench.mailroom.test`,
      });
    }),
  );
  const signed: Buffer[] = new Array(N);
  const sign = await cpuPerItem(N, () => inParallel(N, CONCURRENCY, async (i) => void (signed[i] = await signer.sign(raw[i]!, 'sender.test', keys))));
  const send = await cpuPerItem(N, () =>
    inParallel(N, CONCURRENCY, async (i) => {
      const result = await pool.send(hosts, 0, { from: `bnc-r${i}@mr-bounces.sender.test`, to: [`user${i}@inbox.test`] }, signed[i]!);
      if (!result.ok) throw new Error(`send failed: ${JSON.stringify(result.connectionErrors)}`);
    }),
  );
  await pool.close();
  await sink.close();
  if (sink.count !== N || sink.unsigned) throw new Error(`sink got ${sink.count} of ${N}, ${sink.unsigned} unsigned`);

  const total = compose.cpuMs + sign.cpuMs + send.cpuMs;
  const cores = availableParallelism();
  console.log(`compose (nodemailer)          ${fmt(compose.cpuMs, 3)} ms CPU per message`);
  console.log(`DKIM RSA-2048 + Ed25519       ${fmt(sign.cpuMs, 3)} ms CPU per message (mailauth)`);
  console.log(`SMTP send, pooled, sink incl. ${fmt(send.cpuMs, 3)} ms CPU per message (nodemailer client + lean sink)`);
  console.log(`floor                         ${fmt(total, 3)} ms CPU per message -> at most ${fmt((cores * 1000) / total)} messages/s on ${cores} cores, before storing, queueing or tracking anything`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
