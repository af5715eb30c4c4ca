import type { Client } from 'pg';
import { prepareMessage } from '@mailroom/mailstore';

/** A bounce report addressed to `to`: plain text, or (every fifth) a multipart/report with the original. */
export function bounceMessage(i: number, to: string): Buffer {
  const date = new Date(Date.UTC(2026, 9, 1) + i * 260_000).toUTCString().replace('GMT', '+0000');
  const host = `mx${i % 50}.example.net`;
  const words = ['mailbox', 'unavailable', 'quota', 'exceeded', 'relay', 'denied', 'user', 'unknown', 'timeout', 'policy'];
  const body = Array.from({ length: 12 + (i % 30) }, (_, j) => `${words[(i + j) % words.length]} ${words[(i * 7 + j) % words.length]} line ${j} of report ${i}`).join('\r\n');
  const headers = [`From: Mail Delivery System <MAILER-DAEMON@${host}>`, `To: ${to}`, `Subject: Undelivered Mail Returned to Sender #${i}`, `Date: ${date}`, `Message-ID: <bounce-${i}@${host}>`];
  if (i % 5) return Buffer.from([...headers, '', body, ''].join('\r\n'));
  return Buffer.from(
    [
      ...headers,
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      body,
      '--b',
      'Content-Type: message/delivery-status',
      '',
      `Reporting-MTA: dns; ${host}`,
      '',
      `Final-Recipient: rfc822; user${i}@example.org`,
      'Action: failed',
      'Status: 5.1.1',
      '--b',
      'Content-Type: message/rfc822',
      '',
      `From: ${to}`,
      `Subject: Original ${i}`,
      '',
      'original text',
      '--b--',
      '',
    ].join('\r\n'),
  );
}

/**
 * Files `count` messages (UIDs 1..count) straight into PostgreSQL in batches, as MailStore.append
 * would store them, and moves the folder's counters past them.
 */
export async function seedFolder(pg: Client, folderId: string, count: number, message: (uid: number) => Buffer, flags: (uid: number) => string[] = () => []): Promise<void> {
  const BATCH = 200;
  for (let start = 1; start <= count; start += BATCH) {
    const values: unknown[] = [];
    const rows: string[] = [];
    for (let uid = start; uid < Math.min(start + BATCH, count + 1); uid++) {
      const m = prepareMessage(message(uid));
      const p = values.length;
      rows.push(`(${Array.from({ length: 13 }, (_, k) => `$${p + k + 1}`).join(', ')})`);
      values.push(folderId, uid, uid, flags(uid), new Date(Date.UTC(2026, 9, 1) + uid * 260_000), m.raw.length, m.subject, m.fromAddress, m.toAddresses, m.sentDate, m.raw, JSON.stringify(m.envelope), JSON.stringify(m.bodyStructure));
    }
    await pg.query(
      `INSERT INTO stored_mail (folder_id, uid, modseq, flags, internal_date, size, subject, from_address, to_addresses, sent_date, raw, envelope, body_structure) VALUES ${rows.join(', ')}`,
      values,
    );
  }
  await pg.query('UPDATE folders SET uid_next = $2::int, highest_modseq = $2::int, recent_uid_next = $2::int WHERE id = $1', [folderId, count + 1]);
  // A folder in steady state: autovacuum has run, so UID lists come from index-only scans.
  await pg.query('VACUUM ANALYZE stored_mail');
}
