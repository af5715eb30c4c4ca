import type { ReactNode } from 'react';

/** One term and its value in a <dl className="facts"> (or a record's <dl>). */
export function Fact({ term, children }: { term: ReactNode; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}
