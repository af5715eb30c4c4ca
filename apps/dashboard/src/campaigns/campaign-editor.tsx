import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useLocation } from 'wouter';
import { api, data } from '../api/client';
import type { paths } from '../api/schema';
import { Field, SelectField } from '../ui/field';
import { formatNumber } from '../ui/format';
import { ErrorNote, Loading, Page } from '../ui/page';

type Body = paths['/v1/campaigns']['post']['requestBody']['content']['application/json'];

const EMPTY = { name: '', from: '', reply_to: '', subject: '', preheader: '', html: '<p>Hello {{contact.attributes.name}},</p>\n\n<p><a href="{{unsubscribe_url}}">Unsubscribe</a></p>', text: '', list_ids: [] as string[], exclude_list_ids: [] as string[], segment_id: '', track_opens: true, track_clicks: true, send_at: '' };

/**
 * Create or edit a campaign: audience from lists and a segment (with its count), content with a
 * live preview of the HTML at desktop and phone widths, tracking, and an optional schedule.
 */
export function CampaignEditor({ id }: { id?: string }) {
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const [form, setForm] = useState(EMPTY);
  const [width, setWidth] = useState<'desktop' | 'phone'>('desktop');
  const existing = useQuery({ queryKey: ['campaigns', id], queryFn: async () => data(await api.GET('/v1/campaigns/{id}', { params: { path: { id: id! } } })), enabled: id !== undefined });
  const lists = useQuery({ queryKey: ['lists'], queryFn: async () => data(await api.GET('/v1/lists')) });
  const segments = useQuery({ queryKey: ['segments'], queryFn: async () => data(await api.GET('/v1/segments', { params: { query: { limit: 100 } } })) });
  const segmentCount = useQuery({
    queryKey: ['segments', form.segment_id, 'count'],
    queryFn: async () => data(await api.GET('/v1/segments/{id}/count', { params: { path: { id: form.segment_id } } })),
    enabled: form.segment_id !== '',
  });
  useEffect(() => {
    const c = existing.data;
    if (!c) return;
    setForm({
      name: c.name,
      from: c.from,
      reply_to: c.reply_to ?? '',
      subject: c.subject,
      preheader: c.preheader ?? '',
      html: c.html ?? '',
      text: c.text ?? '',
      list_ids: c.list_ids,
      exclude_list_ids: c.exclude_list_ids,
      segment_id: c.segment_id ?? '',
      track_opens: c.track_opens,
      track_clicks: c.track_clicks,
      send_at: c.send_at ? c.send_at.slice(0, 16) : '',
    });
  }, [existing.data]);

  const audience = useMemo(() => {
    if (form.segment_id) return segmentCount.data ? `${formatNumber(segmentCount.data.active)} active contacts in the segment` : '…';
    const chosen = (lists.data ?? []).filter((l) => form.list_ids.includes(l.id));
    const subscribed = chosen.reduce((sum, l) => sum + (l.counts?.subscribed ?? 0), 0);
    return chosen.length ? `up to ${formatNumber(subscribed)} subscribers (contacts on several lists get one message)` : 'no list chosen';
  }, [form.segment_id, form.list_ids, lists.data, segmentCount.data]);

  const save = useMutation({
    mutationFn: async () => {
      const body: Body = {
        name: form.name,
        from: form.from,
        reply_to: form.reply_to || null,
        subject: form.subject,
        preheader: form.preheader || null,
        html: form.html || null,
        text: form.text || null,
        list_ids: form.segment_id ? [] : form.list_ids,
        exclude_list_ids: form.exclude_list_ids,
        segment_id: form.segment_id || null,
        track_opens: form.track_opens,
        track_clicks: form.track_clicks,
        send_at: form.send_at ? new Date(form.send_at).toISOString() : null,
      };
      return id ? data(await api.PATCH('/v1/campaigns/{id}', { params: { path: { id } }, body })) : data(await api.POST('/v1/campaigns', { body }));
    },
    onSuccess: (campaign) => {
      void queryClient.invalidateQueries({ queryKey: ['campaigns'] });
      navigate(`/campaigns/${campaign.id}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  const toggle = (key: 'list_ids' | 'exclude_list_ids', listId: string) =>
    setForm({ ...form, [key]: form[key].includes(listId) ? form[key].filter((x) => x !== listId) : [...form[key], listId] });

  if (id && existing.isPending) return <Loading />;
  return (
    <Page title={id ? `Edit ${existing.data?.name ?? 'campaign'}` : 'New campaign'}>
      <form className="editor" onSubmit={submit} aria-label="Campaign">
        <div className="editor-fields">
          <Field label="Name" required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
          <Field label="From" required value={form.from} onChange={(e) => setForm({ ...form, from: e.target.value })} placeholder="News <news@example.com>" />
          <Field label="Reply-To" value={form.reply_to} onChange={(e) => setForm({ ...form, reply_to: e.target.value })} />
          <Field label="Subject" required value={form.subject} onChange={(e) => setForm({ ...form, subject: e.target.value })} />
          <Field label="Preheader" value={form.preheader} onChange={(e) => setForm({ ...form, preheader: e.target.value })} hint="The line inboxes show after the subject." />
          <fieldset>
            <legend>Audience</legend>
            <SelectField
              label="Segment"
              value={form.segment_id}
              onChange={(e) => setForm({ ...form, segment_id: e.target.value })}
              options={[{ value: '', label: 'none: send to lists' }, ...(segments.data?.data ?? []).map((s) => ({ value: s.id, label: s.name }))]}
            />
            {!form.segment_id ? (
              <div className="checklist" role="group" aria-label="Lists">
                {(lists.data ?? []).map((l) => (
                  <label key={l.id}>
                    <input type="checkbox" checked={form.list_ids.includes(l.id)} onChange={() => toggle('list_ids', l.id)} /> {l.name} <span className="muted">({formatNumber(l.counts?.subscribed ?? 0)} subscribed)</span>
                  </label>
                ))}
              </div>
            ) : null}
            <div className="checklist" role="group" aria-label="Exclude lists">
              {(lists.data ?? []).map((l) => (
                <label key={l.id}>
                  <input type="checkbox" checked={form.exclude_list_ids.includes(l.id)} onChange={() => toggle('exclude_list_ids', l.id)} /> exclude {l.name}
                </label>
              ))}
            </div>
            <p role="status" aria-live="polite">
              Audience: {audience}
            </p>
          </fieldset>
          <div className="field">
            <label htmlFor="html">HTML</label>
            <textarea id="html" rows={14} value={form.html} onChange={(e) => setForm({ ...form, html: e.target.value })} aria-describedby="html-hint" />
            <small id="html-hint" className="muted">
              Handlebars: {'{{contact.email}}'}, {'{{contact.attributes.name}}'}, {'{{unsubscribe_url}}'} (required), {'{{web_version_url}}'}.
            </small>
          </div>
          <div className="field">
            <label htmlFor="text">Text (made from the HTML when empty)</label>
            <textarea id="text" rows={4} value={form.text} onChange={(e) => setForm({ ...form, text: e.target.value })} />
          </div>
          <label>
            <input type="checkbox" checked={form.track_opens} onChange={(e) => setForm({ ...form, track_opens: e.target.checked })} /> Track opens
          </label>
          <label>
            <input type="checkbox" checked={form.track_clicks} onChange={(e) => setForm({ ...form, track_clicks: e.target.checked })} /> Track clicks
          </label>
          <Field label="Send at (optional)" type="datetime-local" value={form.send_at} onChange={(e) => setForm({ ...form, send_at: e.target.value })} />
          <ErrorNote error={save.error} />
          <button type="submit" disabled={save.isPending}>
            Save draft
          </button>
        </div>
        <section className="preview" aria-label="Preview">
          <div className="preview-bar" role="group" aria-label="Preview width">
            <button type="button" className={width === 'desktop' ? '' : 'secondary'} aria-pressed={width === 'desktop'} onClick={() => setWidth('desktop')}>
              Desktop
            </button>
            <button type="button" className={width === 'phone' ? '' : 'secondary'} aria-pressed={width === 'phone'} onClick={() => setWidth('phone')}>
              Phone
            </button>
          </div>
          {/* sandbox without allow-scripts: the campaign's HTML cannot run anything here. */}
          <iframe title="Preview of the HTML" sandbox="" srcDoc={form.html} className={`preview-frame ${width}`} />
        </section>
      </form>
    </Page>
  );
}
