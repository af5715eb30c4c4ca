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

/**
 * An account with an API key and a verified sending domain: the domain's records are published
 * in the test's DNS server and verified through the API, as a user would.
 */
export async function createSendingAccount(api: Pick<TestApi, 'request' | 'adminKey'>, dns: TestDnsServer, domain: string): Promise<SendingAccount> {
  const account = await api.request('POST', '/v1/accounts', { key: api.adminKey, body: { name: `owner of ${domain}` } });
  if (account.status !== 201) throw new Error(`account: ${account.status} ${JSON.stringify(account.body)}`);
  const apiKey = await api.request('POST', `/v1/accounts/${account.body.id}/api-keys`, { key: api.adminKey, body: {} });
  const key = apiKey.body.key as string;
  const created = await api.request('POST', '/v1/domains', { key, body: { name: domain } });
  if (created.status !== 201) throw new Error(`domain: ${created.status} ${JSON.stringify(created.body)}`);
  const records = created.body.dns as DnsRecordDto[];
  for (const r of records) {
    if (r.type === 'MX') dns.add({ type: 'MX', name: r.name, exchange: r.value, priority: 10 });
    else dns.add({ type: 'TXT', name: r.name, value: r.value });
  }
  const verified = await api.request('POST', `/v1/domains/${created.body.id}/verify`, { key });
  if (verified.status !== 200) throw new Error(`verify: ${verified.status} ${JSON.stringify(verified.body)}`);
  const returnPath = records.find((r) => r.type === 'MX')!.name;
  return { accountId: account.body.id, key, domainId: created.body.id, domain, returnPathDomain: returnPath, records };
}
