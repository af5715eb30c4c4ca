import type { ReactNode } from 'react';
import { Empty, ErrorNote, Loading } from './page';

export interface TableProps {
  /** The column headings (scope="col"), in order. */
  columns: string[];
  /** A last column whose heading only screen readers hear ("Actions"); none when false or absent. */
  hiddenColumn?: string | false;
  caption?: ReactNode;
  /** The caption for screen readers only. */
  captionHidden?: boolean;
  /** In a scrolling, framed .table-wrap box (the default), or bare. */
  wrap?: boolean;
  /** The rows. */
  children: ReactNode;
}

/** A table with its headings; the rows are the caller's. */
export function Table({ columns, hiddenColumn, caption, captionHidden = false, wrap = true, children }: TableProps) {
  const table = (
    <table>
      {caption !== undefined ? <caption className={captionHidden ? 'visually-hidden' : undefined}>{caption}</caption> : null}
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column} scope="col">
              {column}
            </th>
          ))}
          {hiddenColumn ? (
            <th scope="col">
              <span className="visually-hidden">{hiddenColumn}</span>
            </th>
          ) : null}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
  return wrap ? <div className="table-wrap">{table}</div> : table;
}

/**
 * What a list query shows: "Loading…" while pending, its error, a note when it is empty, else the
 * table of its rows.
 */
export function QueryTable<T>({ pending, error, rows, empty, row, ...table }: Omit<TableProps, 'children' | 'wrap'> & { pending: boolean; error: unknown; rows: T[] | undefined; empty: ReactNode; row: (item: T) => ReactNode }) {
  return (
    <>
      {pending ? <Loading /> : null}
      <ErrorNote error={error} />
      {rows?.length === 0 ? <Empty>{empty}</Empty> : null}
      {rows?.length ? <Table {...table}>{rows.map(row)}</Table> : null}
    </>
  );
}
