/** One recipient's copy of a message that is composed per recipient. */
export interface CopyRecipient {
  accountId: string;
  messageId: string;
  recipientId: string;
  /** The account's contact with this address, if any. */
  contactId: string | null;
  email: string;
  /** The sending domain's return-path domain: the List-Unsubscribe mailto address is there. */
  returnPathDomain: string | null;
  /** The List-Id to state (the request's own `List-Id` header), or null for the default. */
  listIdHeader: string | null;
}

export interface CopyOptions {
  /** Broadcast mail: List-Unsubscribe (https and mailto), List-Unsubscribe-Post, List-Id. */
  listUnsubscribe: boolean;
  trackOpens: boolean;
  trackClicks: boolean;
}

/**
 * What makes each recipient's copy of broadcast or tracked API mail its own: signed unsubscribe
 * and tracking links need the recipient. Implemented by @mailroom/newsletter (BroadcastCopies),
 * which depends on this lib, not the other way round; without it such mail is refused, never
 * sent without its unsubscribe headers.
 */
export abstract class MessageCopies {
  /** Contact ids of these addresses in the account (keys lower-cased). */
  abstract contactIds(accountId: string, emails: string[]): Promise<Map<string, string>>;
  /**
   * The copy's own headers and bodies. In broadcast mail, `{{unsubscribe_url}}` in the HTML or
   * text becomes the recipient's unsubscribe link (a visible one, as Gmail asks besides the header).
   */
  abstract personalize(
    r: CopyRecipient,
    body: { html: string | undefined; text: string | undefined },
    options: CopyOptions,
  ): { headers: Array<{ key: string; value: string }>; html: string | undefined; text: string | undefined };
}
