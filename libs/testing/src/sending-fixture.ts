import type { TestDnsServer } from './dns-server';
import type { TestApi } from './test-app';

export interface DnsRecordDto {
  purpose: string;
  type: string;
  name: string;
  value: string;
}

export interface SendingAccount {
  accountId: string;
  key: string;
  domainId: string;
  domain: string;
  returnPathDomain: string;
  records: DnsRecordDto[];
}

/** A new account (named `name`) and an API key of it, made with the admin key. */
export async function createAccountKey(api: Pick<TestApi, 'request' | 'adminKey'>, name: string): Promise<{ accountId: string; key: string }> {
  const account = await api.request('POST', '/v1/accounts', { key: api.adminKey, body: { name } });
  if (account.status !== 201) throw new Error(`account: ${account.status} ${JSON.stringify(account.body)}`);
  const apiKey = await api.request('POST', `/v1/accounts/${account.body.id}/api-keys`, { key: api.adminKey, body: {} });
  return { accountId: account.body.id, key: apiKey.body.key as string };
}

/** Publishes a domain's records (as the API lists them) in the test's DNS server. */
export function publishRecords(dns: TestDnsServer, records: DnsRecordDto[]): void {
  for (const r of records) {
    if (r.type === 'MX') dns.add({ type: 'MX', name: r.name, exchange: r.value, priority: 10 });
    else dns.add({ type: 'TXT', name: r.name, value: r.value });
  }
}

/**
 * An account with an API key and a verified sending domain: the domain's records are published
 * in the test's DNS server and verified through the API, as a user would.
 */
export async function createSendingAccount(api: Pick<TestApi, 'request' | 'adminKey'>, dns: TestDnsServer, domain: string): Promise<SendingAccount> {
  const { accountId, key } = await createAccountKey(api, `owner of ${domain}`);
  const created = await api.request('POST', '/v1/domains', { key, body: { name: domain } });
  if (created.status !== 201) throw new Error(`domain: ${created.status} ${JSON.stringify(created.body)}`);
  const records = created.body.dns as DnsRecordDto[];
  publishRecords(dns, records);
  const verified = await api.request('POST', `/v1/domains/${created.body.id}/verify`, { key });
  if (verified.status !== 200) throw new Error(`verify: ${verified.status} ${JSON.stringify(verified.body)}`);
  const returnPath = records.find((r) => r.type === 'MX')!.name;
  return { accountId, key, domainId: created.body.id, domain, returnPathDomain: returnPath, records };
}
