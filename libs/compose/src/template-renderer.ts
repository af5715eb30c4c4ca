import Handlebars from 'handlebars';

export interface RenderableTemplate {
  id: string;
  version: number;
  subject: string;
  html?: string | null;
  text?: string | null;
}

export interface RenderedContent {
  subject: string;
  html?: string;
  text?: string;
}

type Compiled = { subject: Handlebars.TemplateDelegate; html?: Handlebars.TemplateDelegate; text?: Handlebars.TemplateDelegate };

/**
 * Handlebars, compiled once per template version and kept. HTML escapes {{values}} (use
 * {{{raw}}} deliberately); subject and text are not HTML and are not escaped. Line breaks that
 * data smuggles into a subject become spaces: a subject is a header.
 */
export class TemplateRenderer {
  private readonly handlebars = Handlebars.create();
  private readonly compiled = new Map<string, Compiled>();

  constructor(private readonly maxEntries = 5000) {}

  render(template: RenderableTemplate, data: Record<string, unknown>): RenderedContent {
    const key = `${template.id}:${template.version}`;
    let compiled = this.compiled.get(key);
    if (!compiled) {
      compiled = {
        subject: this.handlebars.compile(template.subject, { noEscape: true, strict: false }),
        html: template.html ? this.handlebars.compile(template.html) : undefined,
        text: template.text ? this.handlebars.compile(template.text, { noEscape: true }) : undefined,
      };
      if (this.compiled.size >= this.maxEntries) this.compiled.clear();
      this.compiled.set(key, compiled);
    }
    return {
      subject: compiled.subject(data).replace(/[\r\n]+/g, ' ').trim(),
      html: compiled.html?.(data),
      text: compiled.text?.(data),
    };
  }

  /** Compiles without caching, to refuse a broken template when it is saved rather than when it is sent. */
  check(source: { subject: string; html?: string | null; text?: string | null }): string | null {
    try {
      for (const part of [source.subject, source.html, source.text]) if (part) this.handlebars.precompile(part);
      return null;
    } catch (error) {
      return error instanceof Error ? error.message.split('\n')[0] : String(error);
    }
  }
}
