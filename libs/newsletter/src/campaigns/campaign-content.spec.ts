import { describe, expect, it } from 'vitest';
import { CompiledCampaign, missingUnsubscribeLink, textFromHtml, withPreheader } from './campaign-content';

const data = (name: string) => ({ contact: { email: 'ann@x.test', attributes: { name } }, unsubscribe_url: 'https://m.test/u/T', web_version_url: 'https://m.test/w/W' });

describe('CompiledCampaign', () => {
  it('personalizes subject, HTML and text, escaping values in HTML only', () => {
    const compiled = new CompiledCampaign({ subject: 'Hi {{contact.attributes.name}}', html: '<p>Hi {{contact.attributes.name}}</p><a href="{{unsubscribe_url}}">Unsubscribe</a>', text: 'Hi {{contact.attributes.name}} {{unsubscribe_url}}' });
    expect(compiled.render(data('<Ann & co>'))).toEqual({
      subject: 'Hi <Ann & co>',
      html: '<p>Hi &lt;Ann &amp; co&gt;</p><a href="https://m.test/u/T">Unsubscribe</a>',
      text: 'Hi <Ann & co> https://m.test/u/T',
    });
  });

  it('keeps a subject on one line whatever the data holds', () => {
    expect(new CompiledCampaign({ subject: 'News {{contact.attributes.name}}', html: '<p>x</p>' }).render(data('a\r\nBcc: evil@x.test')).subject).toBe('News a Bcc: evil@x.test');
  });

  it('makes the text from the HTML once, links kept as URLs, unsubscribe link included', () => {
    const text = new CompiledCampaign({ subject: 's', html: '<h1>May news</h1><p>Hi {{contact.attributes.name}}, see <a href="https://shop.test/sale">the sale</a>.</p><img src="x.png" alt="logo"><p><a href="{{unsubscribe_url}}">Unsubscribe</a></p>' }).render(data('Ann')).text;
    expect(text).toBe('May news\n\nHi Ann, see the sale [https://shop.test/sale].\n\nUnsubscribe [https://m.test/u/T]');
  });

  it('refuses content that does not compile, with the reason', () => {
    expect(() => new CompiledCampaign({ subject: 's', html: '<p>{{#if x}}unclosed</p>' })).toThrow(/does not compile/);
  });
});

describe('withPreheader', () => {
  it('puts the preheader, escaped and hidden, right after <body>', () => {
    const html = withPreheader('<html><body class="x"><p>Hi</p></body></html>', 'Sale <today> & more');
    expect(html).toMatch(/^<html><body class="x"><div style="display:none;[^"]*">Sale &#60;today&#62; &#38; more/);
    expect(html).toContain('</div><p>Hi</p>');
    expect(withPreheader('<p>Hi</p>', 'Pre').startsWith('<div style="display:none;')).toBe(true);
  });
});

describe('missingUnsubscribeLink', () => {
  it('wants {{unsubscribe_url}} outside comments in the HTML and in a text part written by hand', () => {
    expect(missingUnsubscribeLink({ html: '<a href="{{unsubscribe_url}}">Unsubscribe</a>' })).toBeNull();
    expect(missingUnsubscribeLink({ html: '<a href="{{{ unsubscribe_url }}}">Unsubscribe</a>' })).toBeNull();
    expect(missingUnsubscribeLink({ html: '<p>Hi</p><!-- {{unsubscribe_url}} -->' })).toMatch(/HTML has no visible unsubscribe link/);
    expect(missingUnsubscribeLink({ html: '<p>Hi</p>{{!-- {{unsubscribe_url}} --}}' })).toMatch(/HTML has no visible/);
    expect(missingUnsubscribeLink({ html: '<a href="{{unsubscribe_url}}">u</a>', text: 'no link' })).toMatch(/text part has no unsubscribe link/);
    expect(missingUnsubscribeLink({ text: 'Leave: {{unsubscribe_url}}' })).toBeNull();
    expect(missingUnsubscribeLink({})).toMatch(/no content/);
  });
});

describe('textFromHtml', () => {
  it('leaves Handlebars expressions for the text template to render', () => {
    expect(textFromHtml('<p>{{#if contact.attributes.vip}}Dear VIP{{else}}Hello{{/if}}</p>')).toBe('{{#if contact.attributes.vip}}Dear VIP{{else}}Hello{{/if}}');
  });
});
