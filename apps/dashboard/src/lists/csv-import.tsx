import { useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { ApiError, csrfHeaders } from '../api/client';
import type { paths } from '../api/schema';
import { SelectField } from '../ui/field';
import { formatNumber } from '../ui/format';
import { ErrorNote } from '../ui/page';
import { Table } from '../ui/table';

type ImportAnswer = paths['/v1/imports']['post']['responses']['201']['content']['application/json'];

/**
 * Uploads a CSV to POST /v1/imports (the same endpoint as curl) with a progress bar: the
 * upload's bytes as they leave, while the server reads and stores rows as they arrive; then the
 * counts and the rejected rows. XMLHttpRequest rather than the typed fetch client, because only
 * it reports upload progress; the answer is typed from the same OpenAPI document.
 */
export function CsvImport({ lists }: { lists: ReadonlyArray<{ id: string; name: string }> }) {
  const queryClient = useQueryClient();
  const [listId, setListId] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const [sent, setSent] = useState<{ loaded: number; total: number } | null>(null);
  const [result, setResult] = useState<ImportAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const upload = () => {
    const file = input.current?.files?.[0];
    if (!file) return;
    setResult(null);
    setError(null);
    setSent({ loaded: 0, total: file.size });
    const params = new URLSearchParams({ filename: file.name, ...(listId ? { list_id: listId } : {}) });
    const request = new XMLHttpRequest();
    request.open('POST', `/v1/imports?${params}`);
    request.setRequestHeader('content-type', 'text/csv');
    for (const [name, value] of Object.entries(csrfHeaders())) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => setSent({ loaded: event.loaded, total: event.total || file.size });
    request.onload = () => {
      const body = JSON.parse(request.responseText || '{}');
      if (request.status === 201) {
        setResult(body as ImportAnswer);
        void queryClient.invalidateQueries({ queryKey: ['lists'] });
        void queryClient.invalidateQueries({ queryKey: ['contacts'] });
      } else setError(new ApiError(request.status, body?.error?.code ?? 'error', body?.error?.message ?? `the server answered ${request.status}`));
      setSent(null);
    };
    request.onerror = () => {
      setError(new Error('the upload failed'));
      setSent(null);
    };
    request.send(file);
  };
  return (
    <section className="card" aria-labelledby="import-title">
      <h2 id="import-title">Import contacts from CSV</h2>
      <p className="muted">A header row with an email column; other columns become attributes.</p>
      <div className="inline-form">
        <SelectField label="Import onto list" value={listId} onChange={(e) => setListId(e.target.value)} options={[{ value: '', label: 'no list (contacts only)' }, ...lists.map((l) => ({ value: l.id, label: l.name }))]} />
        <div className="field">
          <label htmlFor="csv-file">CSV file</label>
          <input id="csv-file" ref={input} type="file" accept=".csv,text/csv" />
        </div>
        <button type="button" onClick={upload} disabled={sent !== null}>
          Import
        </button>
      </div>
      {sent ? (
        <div>
          <progress max={Math.max(1, sent.total)} value={sent.loaded} aria-label="Import progress" />
          <p role="status" aria-live="polite">
            {sent.loaded < sent.total ? `Sending ${Math.round((100 * sent.loaded) / Math.max(1, sent.total))} %` : 'Storing the last rows…'}
          </p>
        </div>
      ) : null}
      <ErrorNote error={error} />
      {result ? (
        <div role="status">
          <p>
            {result.status === 'done' ? 'Imported' : `Import ${result.status}`}: {formatNumber(result.rows_read)} rows read, {formatNumber(result.added)} added, {formatNumber(result.updated)} updated,{' '}
            {formatNumber(result.rejected)} rejected. {result.error ?? ''}
          </p>
          {result.rejects?.length ? (
            <>
              <Table wrap={false} caption={`Rejected rows${result.rejected > result.rejects.length ? ` (first ${result.rejects.length})` : ''}`} columns={['Line', 'Email', 'Why']}>
                {result.rejects.map((r) => (
                  <tr key={r.line}>
                    <td>{r.line}</td>
                    <td>{r.email ?? '—'}</td>
                    <td>{r.reason}</td>
                  </tr>
                ))}
              </Table>
              <a href={`/v1/imports/${result.id}/rejects.csv`} download>
                Download every rejected row (CSV)
              </a>
            </>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
