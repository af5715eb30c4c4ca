/**
 * Which opens and clicks are machines' rather than people's, from what one request shows: the
 * method and the user agent. What needs the recipient's history (delivered seconds ago, every
 * link at once) is decided where that is known: EngagementRecorder and TrackingRepository.
 *
 * Rules are data, checked in order; the first match names the reason.
 */
const AGENT_RULES: Array<[reason: string, pattern: RegExp]> = [
  // Apple Mail Privacy Protection fetches every image on arrival, with a bare "Mozilla/5.0".
  ['apple_mpp', /^Mozilla\/5\.0$/],
  // Link and attachment scanners of mail security gateways and mailbox providers.
  ['scanner:microsoft', /BingPreview|Microsoft Office Protection|SafeLinks|ms-office|MSOffice|Microsoft-WebDAV|Exchange Online Protection/i],
  ['scanner:proofpoint', /Proofpoint|ppops|pplinkcheck|URLDefense/i],
  ['scanner:mimecast', /Mimecast/i],
  ['scanner:barracuda', /Barracuda/i],
  ['scanner:other', /Symantec|Forcepoint|Sophos|Trend ?Micro|FireEye|IronPort|Cisco|Zscaler|Fortinet|Check ?Point|urlscan|SpamTitan|Vade|Cloudmark|Avanan|Hornet/i],
  // Previews and crawlers, generic bots, and HTTP libraries no person reads mail with.
  ['bot', /bot\b|bot\/|crawler|spider|slurp|facebookexternalhit|WhatsApp|Slack|Discord|Preview|HeadlessChrome|PhantomJS|Lighthouse/i],
  ['http_client', /^(curl|Wget|python-requests|python-urllib|Go-http-client|Java\/|okhttp|axios|node-fetch|undici|libwww-perl|Apache-HttpClient|aiohttp|httpx|Ruby|PostmanRuntime)/i],
];

/**
 * Image proxies of webmail (Gmail's GoogleImageProxy, Yahoo's) fetch when a person opens the
 * mail, so their opens are people's: the proxy is recorded, not counted as a machine. (A fetch
 * seconds after delivery is a machine's whoever makes it; that rule still applies.)
 */
const PROXY_RULES: Array<[proxy: string, pattern: RegExp]> = [
  ['google', /GoogleImageProxy|ggpht\.com/i],
  ['yahoo', /YahooMailProxy/i],
];

export interface RequestVerdict {
  machine: boolean;
  /** Why it is a machine's (`head`, `no_user_agent`, `apple_mpp`, `scanner:…`, `bot`, …), or the proxy a person came through. */
  reason: string | null;
}

export function classifyRequest(method: string, userAgent: string | undefined): RequestVerdict {
  // People's browsers GET; a HEAD is a link checker asking whether the URL is alive.
  if (method === 'HEAD') return { machine: true, reason: 'head' };
  const agent = userAgent?.trim() ?? '';
  if (!agent) return { machine: true, reason: 'no_user_agent' };
  for (const [proxy, pattern] of PROXY_RULES) if (pattern.test(agent)) return { machine: false, reason: `proxy:${proxy}` };
  for (const [reason, pattern] of AGENT_RULES) if (pattern.test(agent)) return { machine: true, reason };
  return { machine: false, reason: null };
}
