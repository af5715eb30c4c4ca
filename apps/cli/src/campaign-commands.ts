import { DomainError, isUuid, notFound } from '@mailroom/common';
import { CampaignRepository } from '@mailroom/db';
import { CampaignService } from '@mailroom/newsletter';
import type { Command, CommandContext } from './commands';

/** How often `campaign:status --watch` reads the campaign again. */
const WATCH_MS = 2_000;
const FINISHED = new Set(['sent', 'cancelled']);

const n = (value: number) => value.toLocaleString('en-US');

/** The campaign an operator names, of whichever account (the CLI acts for all of them). */
async function campaignArg(ctx: CommandContext): Promise<{ accountId: string; id: string }> {
  const id = ctx.args[0];
  if (!id) throw new DomainError('invalid', 'usage', 'missing <campaign id>');
  if (!isUuid(id)) throw new DomainError('invalid', 'invalid_id', `"${id}" is not a campaign id`);
  const campaign = await ctx.app.get(CampaignRepository).findAnywhere(id);
  if (!campaign) throw notFound('campaign');
  return { accountId: campaign.accountId, id };
}

type CampaignState = Awaited<ReturnType<CampaignService['get']>>;

/** A few lines an operator reads at a glance: state, progress, results. */
export function formatCampaign(c: CampaignState): string {
  const p = c.progress;
  const r = c.results;
  const skipped = Object.entries(p.skipped_by_reason).map(([reason, count]) => `${reason} ${n(count)}`);
  return [
    `${c.name} (${c.id}): ${c.status}${c.status === 'scheduled' && c.send_at ? ` for ${new Date(c.send_at).toISOString()}` : ''}`,
    `  progress  ${n(p.materialized)} of ${n(p.total)} handed to delivery (${n(p.pending)} pending)${skipped.length ? `; skipped: ${skipped.join(', ')}` : ''}`,
    `  results   delivered ${n(r.delivered)}  in flight ${n(r.queued)}  deferred ${n(r.deferred)}  bounced ${n(r.bounced.total)} (hard ${n(r.bounced.hard)}, soft ${n(r.bounced.soft)})  blocked ${n(r.blocked)}  failed ${n(r.failed)}  suppressed ${n(r.suppressed)}  complained ${n(r.complained)}  unsubscribed ${n(r.unsubscribed)}`,
    `  opened    ${n(r.opens.unique)} people (+${n(r.opens.machine_unique)} machines)  clicked ${n(r.clicks.unique)} people (+${n(r.clicks.machine_unique)} machines)`,
  ].join('\n');
}

/** The operator's campaign commands: send one, and follow it. */
export const CAMPAIGN_COMMANDS: Record<string, Command> = {
  'campaign:send': {
    usage: 'campaign:send <campaign id>',
    summary: 'send a draft campaign now (or schedule it, when its send_at is ahead); the workers deliver it',
    async run(ctx) {
      const { accountId, id } = await campaignArg(ctx);
      const campaign = await ctx.app.get(CampaignService).send(accountId, id);
      ctx.print(campaign, () =>
        campaign.status === 'scheduled'
          ? `${campaign.name} (${campaign.id}): scheduled for ${new Date(campaign.send_at!).toISOString()}`
          : `${campaign.name} (${campaign.id}): sending to ${n(campaign.progress.total)} recipients (audience frozen); follow it with campaign:status ${campaign.id} --watch`,
      );
    },
  },
  'campaign:status': {
    usage: 'campaign:status <campaign id> [--watch]',
    summary: "print a campaign's state, progress and results; --watch follows it until it is sent or cancelled",
    async run(ctx) {
      const { accountId, id } = await campaignArg(ctx);
      const campaigns = ctx.app.get(CampaignService);
      for (;;) {
        const campaign = await campaigns.get(accountId, id);
        ctx.print(campaign, () => formatCampaign(campaign));
        if (ctx.flags.watch !== true || FINISHED.has(campaign.status)) return;
        await new Promise((r) => setTimeout(r, WATCH_MS));
      }
    },
  },
};
