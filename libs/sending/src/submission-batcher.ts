import { Injectable } from '@nestjs/common';
import { Batcher } from '@mailroom/common';
import { MessageRepository, type NewMessage } from '@mailroom/db';
import { DeliveryEnqueuer } from './delivery-enqueuer';

/**
 * Relay sessions submit one message each; storing them one transaction apiece would cost a
 * dozen round trips per message. Concurrent submissions share transactions (one per account)
 * and one enqueue, the way a batch from the API does.
 */
@Injectable()
export class SubmissionBatcher {
  private readonly batcher = new Batcher<{ accountId: string; message: NewMessage }, Error | undefined>((items) => this.store(items), { maxSize: 200 });

  constructor(
    private readonly messages: MessageRepository,
    private readonly delivery: DeliveryEnqueuer,
  ) {}

  /** Stores the message (with messages submitted at the same moment) and enqueues its delivery. */
  async submit(accountId: string, message: NewMessage): Promise<void> {
    const failure = await this.batcher.submit({ accountId, message });
    if (failure) throw failure;
  }

  private async store(items: Array<{ accountId: string; message: NewMessage }>): Promise<Array<Error | undefined>> {
    const byAccount = new Map<string, NewMessage[]>();
    for (const { accountId, message } of items) {
      const list = byAccount.get(accountId);
      if (list) list.push(message);
      else byAccount.set(accountId, [message]);
    }
    const accounts = [...byAccount.keys()];
    // Each account's transaction stands alone: one that fails must not tell another account's
    // clients to retry messages that were stored (they would be sent twice).
    const jobs = new Map(accounts.map((accountId) => [accountId, this.delivery.plan(byAccount.get(accountId)!)]));
    const settled = await Promise.allSettled(accounts.map((accountId) => this.messages.accept(accountId, byAccount.get(accountId)!)));
    const failed = new Map(accounts.flatMap((accountId, i) => (settled[i]!.status === 'rejected' ? [[accountId, (settled[i] as PromiseRejectedResult).reason as Error]] : [])));
    await this.delivery.enqueue(accounts.filter((accountId) => !failed.has(accountId)).flatMap((accountId) => jobs.get(accountId)!));
    return items.map((i) => failed.get(i.accountId));
  }
}
