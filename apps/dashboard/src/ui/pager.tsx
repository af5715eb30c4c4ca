import { useState } from 'react';

/** The cursors of the pages opened so far; the last one is the page shown (none: the first). */
export function useCursors() {
  const [cursors, setCursors] = useState<string[]>([]);
  return { cursor: cursors.at(-1), cursors, setCursors, reset: () => setCursors([]) };
}

export type Cursors = ReturnType<typeof useCursors>;

/** Back and forth through cursor-paged results: back to the page before, on to the page after `next`. */
export function Pager({ pages, next, back = 'Newer', forward = 'Older' }: { pages: Cursors; next: string | null | undefined; back?: string; forward?: string }) {
  const { cursors, setCursors } = pages;
  return (
    <div className="pager">
      <button type="button" className="secondary" disabled={!cursors.length} onClick={() => setCursors(cursors.slice(0, -1))}>
        {back}
      </button>
      <button type="button" className="secondary" disabled={!next} onClick={() => next && setCursors([...cursors, next])}>
        {forward}
      </button>
    </div>
  );
}
