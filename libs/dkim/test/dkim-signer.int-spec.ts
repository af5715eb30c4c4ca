import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretBox } from '@mailroom/crypto';
import { DkimSigner, dkimRecordValue, generateDkimKeys, type SigningKey } from '@mailroom/dkim';
import { until } from '@mailroom/testing';

const MESSAGE = Buffer.from(
  'From: App <app@signed.test>\r\nTo: someone@example.test\r\nSubject: Hello\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n' +
    'Message-ID: <1@signed.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello there,\r\n\r\nsigned  body   \r\n',
);

/** Signing on the event loop and in signing threads (which run the built dist/ script). */
describe('DkimSigner', () => {
  const signers: DkimSigner[] = [];
  afterEach(async () => {
    await Promise.all(signers.splice(0).map((s) => s.close()));
  });

  async function setup(threads: number, extra: { threadScript?: string; onThreadError?: (error: Error) => void } = {}) {
    const box = new SecretBox(randomBytes(32).toString('hex'), 'dkim-keys');
    const generated = await generateDkimKeys();
    const keys: SigningKey[] = generated.map((k) => ({ selector: k.selector, algorithm: k.algorithm, privateKeyEncrypted: box.seal(k.privateKeyPem) }));
    const txt = new Map(generated.map((k) => [`${k.selector}._domainkey.signed.test`, dkimRecordValue(k.algorithm, k.publicKey)]));
    const signer = new DkimSigner(box, { threads, ...extra });
    signers.push(signer);
    const verify = async (raw: Buffer) => {
      const result = await dkimVerify(raw, {
        resolver: async (name: string, type: string) => (type === 'TXT' && txt.has(name) ? [[txt.get(name)!]] : []),
      } as Parameters<typeof dkimVerify>[1]);
      return (result.results as Array<{ algo: string; status: { result: string } }>).map((r) => `${r.algo}=${r.status.result}`).sort();
    };
    return { signer, keys, verify };
  }

  it.each([0, 2])('signs with RSA and Ed25519 that verify (%i signing threads)', async (threads) => {
    const { signer, keys, verify } = await setup(threads);
    const signed = await Promise.all(Array.from({ length: 20 }, () => signer.sign(MESSAGE, 'signed.test', keys)));
    for (const raw of signed) {
      expect(raw.subarray(raw.length - MESSAGE.length).equals(MESSAGE)).toBe(true);
      expect(await verify(raw)).toEqual(['ed25519-sha256=pass', 'rsa-sha256=pass']);
    }
  });

  it('keeps signing threads small: a thread loads the signer and the canonicalization, not libmime or nodemailer', async () => {
    // What the thread script pulls in is resident once per thread (libmime and its charset tables
    // took 6.5 MiB of RSS in each). The thread answers with unfolded lines; the caller folds them.
    const script = join(__dirname, '../../../dist/libs/dkim/src/signing-thread.js');
    const probe = new Worker(
      `require(${JSON.stringify(script)}); require('node:worker_threads').parentPort.postMessage(Object.keys(require.cache));`,
      { eval: true },
    );
    const loaded = await new Promise<string[]>((resolve, reject) => probe.once('message', resolve).once('error', reject));
    await probe.terminate();
    expect(loaded.some((file) => file.endsWith('dkim/src/signature-lines.js'))).toBe(true);
    expect(loaded.filter((file) => file.includes('node_modules'))).toEqual([]);
    expect(loaded.filter((file) => file.includes('/mime/src/')).map((file) => file.split('/mime/src/')[1])).toEqual(['header-fields.js']);
  });

  it('fails a signature with a clear error when the domain has no key, in a thread too', async () => {
    const { signer } = await setup(1);
    await expect(signer.sign(MESSAGE, 'signed.test', [])).rejects.toThrow('signed.test has no active DKIM key');
  });

  it('replaces a signing thread that dies, and goes on signing', async () => {
    const { signer, keys, verify } = await setup(1);
    await signer.sign(MESSAGE, 'signed.test', keys);
    const [thread] = (signer as unknown as { threads: Array<{ worker: { terminate(): Promise<number> } }> }).threads;
    await thread!.worker.terminate();
    const signed = await signer.sign(MESSAGE, 'signed.test', keys);
    expect(await verify(signed)).toEqual(['ed25519-sha256=pass', 'rsa-sha256=pass']);
  });

  it('gives signing threads up after they fail to start a few times, and signs on the event loop', async () => {
    const errors: string[] = [];
    const { signer, keys, verify } = await setup(2, { threadScript: '/nonexistent/signing-thread.js', onThreadError: (error) => errors.push(error.message) });
    let signed: Buffer | undefined;
    await until(async () => !!(signed = await signer.sign(MESSAGE, 'signed.test', keys).catch(() => undefined)), { intervalMs: 100 });
    expect(signed).toBeDefined();
    expect(await verify(signed!)).toEqual(['ed25519-sha256=pass', 'rsa-sha256=pass']);
    expect(errors.some((m) => m.includes('signing on the event loop from now on'))).toBe(true);
  });
});
