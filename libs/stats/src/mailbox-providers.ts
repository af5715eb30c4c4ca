/**
 * Mailbox providers by the registrable domain of their MX hosts (bounce_stats.mx_domain, from
 * mailroom_mx_domain()): Gmail and Google Workspace answer from *.google.com, Outlook.com and
 * Microsoft 365 from *.outlook.com, and so on. Data, not code: add a row to recognise another.
 */
export const MAILBOX_PROVIDERS: ReadonlyArray<{ provider: string; mxDomains: readonly string[] }> = [
  { provider: 'Google', mxDomains: ['google.com', 'googlemail.com', 'gmail.com', 'smtp.goog'] },
  { provider: 'Microsoft', mxDomains: ['outlook.com', 'hotmail.com', 'office365.us', 'outlook.cn', 'microsoft.com'] },
  { provider: 'Yahoo', mxDomains: ['yahoodns.net', 'yahoo.com', 'aol.com', 'yahoo.co.jp'] },
  { provider: 'Apple', mxDomains: ['icloud.com', 'apple.com', 'me.com'] },
  { provider: 'Proton', mxDomains: ['protonmail.ch', 'proton.me'] },
  { provider: 'Zoho', mxDomains: ['zoho.com', 'zoho.eu', 'zohomail.com'] },
  { provider: 'Fastmail', mxDomains: ['messagingengine.com'] },
  { provider: 'Yandex', mxDomains: ['yandex.net', 'yandex.ru'] },
  { provider: 'Mail.ru', mxDomains: ['mail.ru'] },
  { provider: 'GMX / Web.de / IONOS', mxDomains: ['gmx.net', 'gmx.com', 'web.de', '1and1.com', 'ionos.com', 'kundenserver.de'] },
  { provider: 'Comcast', mxDomains: ['comcast.net'] },
  { provider: 'Mimecast', mxDomains: ['mimecast.com'] },
  { provider: 'Proofpoint', mxDomains: ['pphosted.com', 'ppe-hosted.com'] },
  { provider: 'Barracuda', mxDomains: ['barracudanetworks.com'] },
  { provider: 'Cisco', mxDomains: ['iphmx.com'] },
];

const byMxDomain = new Map(MAILBOX_PROVIDERS.flatMap((p) => p.mxDomains.map((d) => [d, p.provider] as const)));

/** The provider behind an MX domain; the MX domain itself when unknown; `unknown` when no MX answered. */
export function providerOf(mxDomain: string): string {
  if (!mxDomain) return 'unknown';
  return byMxDomain.get(mxDomain) ?? mxDomain;
}
