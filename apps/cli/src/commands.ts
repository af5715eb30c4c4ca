import type { INestApplicationContext } from '@nestjs/common';
import { DomainError } from '@mailroom/common';
import { AccountRepository, DestinationPolicyRepository, UserRepository } from '@mailroom/db';
import { AccountService, CredentialService, DomainService, MailboxService, type DnsRecord, type DomainView } from '@mailroom/tenancy';
import { LIST_COMMANDS } from './list-commands';
import { CAMPAIGN_COMMANDS } from './campaign-commands';
import { createUser, isRole } from '@mailroom/users';

export interface CommandContext {
  app: INestApplicationContext;
  args: string[];
  flags: Record<string, string | boolean>;
  print(value: unknown, human: () => string): void;
}

export interface Command {
  usage: string;
  summary: string;
  run(ctx: CommandContext): Promise<void>;
}

function arg(ctx: CommandContext, index: number, name: string): string {
  const value = ctx.args[index];
  if (!value) throw new DomainError('invalid', 'usage', `missing <${name}>`);
  return value;
}

function flag(ctx: CommandContext, name: string, required: true): string;
function flag(ctx: CommandContext, name: string, required?: false): string | undefined;
function flag(ctx: CommandContext, name: string, required = false): string | undefined {
  const value = ctx.flags[name];
  if (typeof value === 'string' && value) return value;
  if (required) throw new DomainError('invalid', 'usage', `missing --${name} <value>`);
  return undefined;
}

export function formatRecords(records: DnsRecord[]): string {
  return records
    .map((r) => `  ${r.type.padEnd(4)} ${r.name}\n       ${r.type === 'MX' ? `${r.priority ?? 10} ${r.value}` : r.value}   (${r.purpose})`)
    .join('\n');
}

/** What an unproven registration still needs, and until when. */
function pending(domain: DomainView): string {
  if (domain.ownership.verified_at) return 'ownership proven';
  const until = domain.ownership.expires_at ? ` before ${domain.ownership.expires_at.toISOString()}` : '';
  return `ownership not proven yet: publish the ownership TXT record (or the DKIM records) and run domain:verify${until}; until then it receives no mail`;
}

async function domainByName(ctx: CommandContext, name: string) {
  const account = flag(ctx, 'account');
  const domains = ctx.app.get(DomainService);
  if (account) return domains.getByName(account, name);
  return domains.getAnyByName(name);
}

/** Every operator command. Each prints a human answer, or JSON with --json. */
export const COMMANDS: Record<string, Command> = {
  'account:create': {
    usage: 'account:create <name>',
    summary: 'create an account and its first API key (shown once)',
    async run(ctx) {
      const accounts = ctx.app.get(AccountService);
      const account = await accounts.createAccount(arg(ctx, 0, 'name'));
      const key = await accounts.createApiKey(account.id, { name: 'created by cli' });
      ctx.print({ account, api_key: key }, () => `account ${account.id} (${account.name})\nAPI key (shown once): ${key.key}`);
    },
  },
  'api-key:create': {
    usage: 'api-key:create (--account <id> | --admin) [--name <name>]',
    summary: 'create an API key for an account, or an installation-wide admin key',
    async run(ctx) {
      const admin = ctx.flags.admin === true;
      const account = admin ? (flag(ctx, 'account') ?? null) : flag(ctx, 'account', true);
      const key = await ctx.app.get(AccountService).createApiKey(account, { name: flag(ctx, 'name'), scope: admin ? 'admin' : 'account' });
      ctx.print(key, () => `${admin ? 'admin ' : ''}API key ${key.id} (shown once): ${key.key}`);
    },
  },
  'domain:create': {
    usage: 'domain:create --account <id> <domain>',
    summary: 'add a sending domain, generate its DKIM keys and print the DNS records to publish',
    async run(ctx) {
      const domain = await ctx.app.get(DomainService).create(flag(ctx, 'account', true), arg(ctx, 0, 'domain'), { operator: true });
      ctx.print(domain, () => `domain ${domain.name} (${domain.id})\nPublish these DNS records:\n${formatRecords([domain.ownership.record, ...domain.dns])}\n${pending(domain)}`);
    },
  },
  'domain:dns': {
    usage: 'domain:dns <domain> [--account <id>]',
    summary: "print a domain's DNS records",
    async run(ctx) {
      const domain = await domainByName(ctx, arg(ctx, 0, 'domain'));
      const records = [domain.ownership.record, ...domain.dns];
      ctx.print(records, () => `DNS records for ${domain.name}:\n${formatRecords(records)}`);
    },
  },
  'domain:verify': {
    usage: 'domain:verify <domain> [--account <id>]',
    summary: "look a domain's records up in DNS and report each one's state",
    async run(ctx) {
      const found = await domainByName(ctx, arg(ctx, 0, 'domain'));
      const result = await ctx.app.get(DomainService).verify(found.account_id, found.id);
      ctx.print(result, () =>
        [
          `${result.name}: ${result.verified ? 'verified' : 'not verified'}${result.verification.ownership ? '' : ` (${pending(result)})`}`,
          ...[result.ownership.record, ...result.records].map((r) => `  ${r.state.padEnd(8)} ${r.type.padEnd(4)} ${r.name} (${r.purpose})`),
        ].join('\n'),
      );
    },
  },
  'smtp-credential:create': {
    usage: 'smtp-credential:create --account <id> [--username <name>] [--password <password>]',
    summary: 'create SMTP relay credentials (password shown once)',
    async run(ctx) {
      const cred = await ctx.app.get(CredentialService).createSmtpCredential(flag(ctx, 'account', true), {
        username: flag(ctx, 'username'),
        password: flag(ctx, 'password'),
      });
      ctx.print(cred, () => `username: ${cred.username}\npassword (shown once): ${cred.password}`);
    },
  },
  'mailbox:create': {
    usage: 'mailbox:create --account <id> <address> [--password <password>]',
    summary: 'create an IMAP mailbox on one of the account’s domains',
    async run(ctx) {
      const mailbox = await ctx.app.get(MailboxService).createMailbox(flag(ctx, 'account', true), {
        address: arg(ctx, 0, 'address'),
        password: flag(ctx, 'password'),
      });
      ctx.print(mailbox, () => `mailbox ${mailbox.address} (${mailbox.id})${'password' in mailbox ? `\npassword (shown once): ${mailbox.password}` : ''}\nfolders: ${mailbox.folders.join(', ')}`);
    },
  },
  'user:create': {
    usage: 'user:create --email <address> [--password <password>] [--admin] [--account <id> [--role owner|member|viewer]]',
    summary: 'create a dashboard user (prints a generated password when none is given); --admin sees every account',
    async run(ctx) {
      const account = flag(ctx, 'account');
      const role = flag(ctx, 'role') ?? 'owner';
      if (!isRole(role)) throw new DomainError('invalid', 'usage', '--role must be owner, member or viewer');
      if (account && !(await ctx.app.get(AccountRepository).find(account))) throw new DomainError('not_found', 'not_found', `no account ${account}`);
      const users = ctx.app.get(UserRepository);
      const given = flag(ctx, 'password');
      const { user, password } = await createUser(users, { email: flag(ctx, 'email', true), password: given, admin: ctx.flags.admin === true });
      if (account) await users.setMembership(account, user.id, role);
      ctx.print({ ...user, ...(given ? {} : { password }), ...(account ? { account_id: account, role } : {}) }, () =>
        [`user ${user.email} (${user.id})${user.admin ? ', admin: sees every account' : ''}`, ...(account ? [`${role} of account ${account}`] : []), ...(given ? [] : [`password (shown once): ${password}`])].join('\n'),
      );
    },
  },
  'account:limit': {
    usage: 'account:limit <account id> (--per-hour <n> | --none)',
    summary: 'cap the messages an account may send per hour (API and relay together)',
    async run(ctx) {
      const none = ctx.flags.none === true;
      const perHour = flag(ctx, 'per-hour');
      if (none === (perHour !== undefined)) throw new DomainError('invalid', 'usage', 'give either --per-hour <n> or --none');
      const account = await ctx.app.get(AccountService).updateAccount(arg(ctx, 0, 'account id'), { sendLimitPerHour: none ? null : positiveInt(perHour!, 'per-hour') });
      ctx.print(account, () => `${account.name} (${account.id}): ${account.send_limit_per_hour ? `at most ${account.send_limit_per_hour} messages per hour` : 'no hourly limit'}`);
    },
  },
  'destination:set': {
    usage: 'destination:set <domain | .mx-suffix> --max-connections <n> [--per-minute <n>]',
    summary: 'cap connections (and optionally messages per minute) to a destination, for every worker',
    async run(ctx) {
      const pattern = arg(ctx, 0, 'domain | .mx-suffix').toLowerCase();
      if (!/^\.?[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(pattern)) throw new DomainError('invalid', 'usage', `"${pattern}" is not a domain or an MX suffix like .google.com`);
      const maxConnections = positiveInt(flag(ctx, 'max-connections', true), 'max-connections');
      const perMinute = flag(ctx, 'per-minute');
      const policy = await ctx.app.get(DestinationPolicyRepository).upsert({
        pattern,
        maxConnections,
        messagesPerMinute: perMinute === undefined ? null : positiveInt(perMinute, 'per-minute'),
      });
      ctx.print(policy, () => `${policy.pattern}: at most ${policy.maxConnections} connections${policy.messagesPerMinute ? `, ${policy.messagesPerMinute} messages/minute` : ''} (workers pick it up within a minute)`);
    },
  },
  'destination:list': {
    usage: 'destination:list',
    summary: 'show the per-destination limits',
    async run(ctx) {
      const policies = await ctx.app.get(DestinationPolicyRepository).list();
      ctx.print(policies, () =>
        policies.length
          ? policies.map((p) => `${p.pattern.padEnd(30)} ${String(p.maxConnections).padStart(4)} connections  ${p.messagesPerMinute ? `${p.messagesPerMinute}/min` : 'no rate limit'}`).join('\n')
          : 'no destination policies: every destination gets DESTINATION_MAX_CONNECTIONS / DESTINATION_MESSAGES_PER_MINUTE',
      );
    },
  },
  'destination:remove': {
    usage: 'destination:remove <domain | .mx-suffix>',
    summary: 'drop a destination policy (back to the defaults)',
    async run(ctx) {
      const pattern = arg(ctx, 0, 'domain | .mx-suffix').toLowerCase();
      const removed = await ctx.app.get(DestinationPolicyRepository).remove(pattern);
      if (!removed) throw new DomainError('not_found', 'not_found', `no destination policy for ${pattern}`);
      ctx.print({ removed: pattern }, () => `removed ${pattern}`);
    },
  },
  ...CAMPAIGN_COMMANDS,
  ...LIST_COMMANDS,
};

function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new DomainError('invalid', 'usage', `--${name} must be a whole number of at least 1`);
  return n;
}
