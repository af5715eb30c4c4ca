import Handlebars from 'handlebars';
import { convert } from 'html-to-text';
import { DomainError } from '@mailroom/common';

/** What a campaign says, before it is personalized. */
export interface CampaignSource {
  subject: string;
  preheader?: string | null;
  html?: string | null;
  text?: string | null;
}

/** What a template sees: the contact's fields and the recipient's own links. */
export interface PersonalData {
  contact: { email: string; attributes: Record<string, unknown> };
  unsubscribe_url: string;
  web_version_url: string;
}

export interface PersonalContent {
  subject: string;
  html?: string;
  text?: string;
}

const UNSUBSCRIBE = /\{\{\{?\s*unsubscribe_url\s*\}?\}\}/;
const HTML_COMMENT = /<!--[\s\S]*?(-->|$)/g;
const HANDLEBARS_COMMENT = /\{\{!--[\s\S]*?--\}\}|\{\{![\s\S]*?\}\}/g;

/**
 * The text part of an HTML campaign, converted once from the HTML template (Handlebars
 * expressions are text to the converter, so they survive and are rendered per contact like the
 * HTML's): links keep their URL in brackets, so `{{unsubscribe_url}}` stays visible in the text.
 */
export function textFromHtml(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'table', format: 'dataTable' },
    ],
  });
}

/**
 * Preheader text: the line inboxes show after the subject, hidden in the message itself. Put
 * right after <body> (or first), escaped as HTML; it may use the template's fields like the rest.
 */
export function withPreheader(html: string, preheader: string | null | undefined): string {
  if (!preheader) return html;
  const escaped = preheader.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const hidden = `<div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all">${escaped}${'&#8199;&#65279;&#847; '.repeat(20)}</div>`;
  const body = /<body\b[^>]*>/i.exec(html);
  return body ? html.slice(0, body.index + body[0].length) + hidden + html.slice(body.index + body[0].length) : hidden + html;
}

/**
 * Why a campaign may not be sent for want of a visible unsubscribe link (Gmail and Yahoo require
 * one in the content besides the List-Unsubscribe header), or null. The HTML (and a text part
 * written by hand) must use {{unsubscribe_url}} outside comments.
 */
export function missingUnsubscribeLink(source: Pick<CampaignSource, 'html' | 'text'>): string | null {
  const visible = (template: string) => UNSUBSCRIBE.test(template.replace(HANDLEBARS_COMMENT, '').replace(HTML_COMMENT, ''));
  if (!source.html && !source.text) return 'the campaign has no content';
  if (source.html && !visible(source.html)) {
    return 'the HTML has no visible unsubscribe link: add one with {{unsubscribe_url}}, e.g. <a href="{{unsubscribe_url}}">Unsubscribe</a> (mailbox providers require it besides the List-Unsubscribe header)';
  }
  if (source.text && !visible(source.text)) return 'the text part has no unsubscribe link: add {{unsubscribe_url}} to it, or leave text out to have it made from the HTML';
  return null;
}

/**
 * A campaign's content compiled once (Handlebars), rendered per contact: HTML escapes values,
 * subject and text do not (they are not HTML); a subject stays on one line whatever the data.
 * Text is generated from the HTML when the campaign has none.
 */
export class CompiledCampaign {
  private readonly subject: Handlebars.TemplateDelegate;
  private readonly html?: Handlebars.TemplateDelegate;
  private readonly text?: Handlebars.TemplateDelegate;

  constructor(source: CampaignSource) {
    const handlebars = Handlebars.create();
    try {
      this.subject = handlebars.compile(source.subject, { noEscape: true });
      const html = source.html ? withPreheader(source.html, source.preheader) : null;
      this.html = html ? handlebars.compile(html) : undefined;
      const text = source.text ?? (source.html ? textFromHtml(source.html) : null);
      this.text = text ? handlebars.compile(text, { noEscape: true }) : undefined;
      // Handlebars compiles lazily: render once now, so a broken template fails here, not per contact.
      this.render({ contact: { email: 'check@example.com', attributes: {} }, unsubscribe_url: '', web_version_url: '' });
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw new DomainError('invalid', 'invalid_template', `the campaign's content does not compile: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }

  render(data: PersonalData): PersonalContent {
    return {
      subject: this.subject(data).replace(/[\r\n\0]+/g, ' ').trim(),
      html: this.html?.(data),
      text: this.text?.(data),
    };
  }
}
