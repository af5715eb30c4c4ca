import type { ReportTarget } from '@mailroom/db';
import type { ReturnPathToken } from '@mailroom/verp';

/** Where one accepted envelope recipient goes; decided at RCPT, used after DATA. */
export type Route =
  | {
      kind: 'mailbox';
      /** The envelope recipient, local part lower-cased. */
      address: string;
      mailboxId: string;
      /** Delivered through the domain's catch-all rather than an exact mailbox. */
      catchAll: boolean;
    }
  | {
      /** The List-Unsubscribe mailto address of a broadcast copy: mail to it unsubscribes. */
      kind: 'unsubscribe';
      address: string;
      recipientId: string;
    }
  | {
      kind: 'return-path';
      address: string;
      token: ReturnPathToken;
      /** The outbound message (and recipients) the signed token names. */
      target: ReportTarget;
    };
