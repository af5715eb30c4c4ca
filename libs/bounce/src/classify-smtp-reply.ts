import type { Classification, SmtpReply } from './classification';
import { parseRetryAfter } from './retry-after';
import { SMTP_RULES, type SmtpRule } from './smtp-rules';

/**
 * Classifies an SMTP failure reply with the rule table: the first row that matches wins, and
 * the table ends with a default for each code class, so every reply gets a verdict.
 */
export function classifySmtpReply(reply: SmtpReply, rules: readonly SmtpRule[] = SMTP_RULES): Classification {
  const parsed = parseSmtpResponse(reply.text);
  const enhanced = reply.enhanced?.trim() || parsed.enhanced;
  const facts: ReplyFacts = {
    codeClass: codeClass(reply.code, enhanced),
    code: reply.code,
    enhanced,
    text: parsed.text,
    phase: reply.phase,
  };
  const rule = rules.find((r) => matches(r, facts));
  // Unreachable with SMTP_RULES (it ends with both defaults); a custom table may not.
  if (!rule) return { outcome: 'deferred', category: 'other', rule: 'none' };
  const result: Classification = { ...rule.then, rule: rule.id };
  if (result.outcome === 'deferred') {
    const wait = parseRetryAfter(facts.text) ?? rule.waitSeconds;
    if (wait !== undefined) result.retryAfterSeconds = wait;
  }
  return result;
}

/**
 * Splits a raw reply as SMTP clients report it ("550-5.1.1 The email account ...\n550 5.1.1
 * ... - gsmtp") into its code, first enhanced status code and the text with the per-line
 * code prefixes removed. Also reads qmail's "(#5.1.1)" when no leading code is present.
 */
export function parseSmtpResponse(response: string): { code?: number; enhanced?: string; text: string } {
  let code: number | undefined;
  let enhanced: string | undefined;
  const parts: string[] = [];
  for (const rawLine of response.split(/\r?\n/)) {
    let line = rawLine.trim();
    const basic = /^([2-5]\d\d)(?:[ -]|$)/.exec(line);
    if (basic) {
      code ??= Number(basic[1]);
      line = line.slice(basic[0].length).trim();
    }
    const status = LEADING_ENHANCED.exec(line);
    if (status) {
      enhanced ??= status[1];
      line = line.slice(status[0].length).trim();
    }
    if (line) parts.push(line);
  }
  const text = parts.join(' ').replace(/\s+/g, ' ');
  enhanced ??= QMAIL_STATUS.exec(text)?.[1];
  return { code, enhanced, text };
}

interface ReplyFacts {
  codeClass: 4 | 5;
  code: number;
  enhanced?: string;
  text: string;
  phase?: SmtpReply['phase'];
}

const LEADING_ENHANCED = /^([245]\.\d{1,3}\.\d{1,3})(?![\d.])\s*/;
const QMAIL_STATUS = /\(#([245]\.\d{1,3}\.\d{1,3})\)/;

/**
 * The basic code decides (RFC 3463 3: the enhanced code refines, never overrides); an
 * out-of-range code falls back to the enhanced class, and an unknown one to temporary,
 * since a retry costs less than a lost message.
 */
function codeClass(code: number, enhanced: string | undefined): 4 | 5 {
  if (code >= 500 && code < 600) return 5;
  if (code >= 400 && code < 500) return 4;
  return enhanced?.startsWith('5.') ? 5 : 4;
}

function matches(rule: SmtpRule, facts: ReplyFacts): boolean {
  if (rule.class !== undefined && rule.class !== facts.codeClass) return false;
  if (rule.codes && !rule.codes.includes(facts.code)) return false;
  if (rule.phases && (!facts.phase || !rule.phases.includes(facts.phase))) return false;
  if (rule.enhanced) {
    const status = facts.enhanced;
    if (!status || !rule.enhanced.some((prefix) => hasStatusPrefix(status, prefix))) return false;
  }
  if (rule.text && !rule.text.test(facts.text)) return false;
  return true;
}

/** Component-wise: `5.7` is a prefix of `5.7.26`, `5.1.1` is not a prefix of `5.1.10`. */
export function hasStatusPrefix(status: string, prefix: string): boolean {
  const want = prefix.split('.');
  const have = status.split('.');
  return want.every((part, i) => have[i] !== undefined && Number(have[i]) === Number(part));
}
