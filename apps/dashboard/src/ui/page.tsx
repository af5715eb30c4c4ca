import { useEffect, useRef, type ReactNode } from 'react';
import { Link } from 'wouter';
import { isApiError } from '../api/client';

/**
 * A page: its heading gets focus when the page opens, so a screen reader announces where the
 * user went and keyboard users start from the top of the content.
 */
export function Page({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Mailroom`;
    heading.current?.focus();
  }, [title]);
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title" tabIndex={-1} ref={heading}>
          {title}
        </h1>
        {actions ? <div className="page-actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      {what}…
    </p>
  );
}

/** An error said plainly, with the API's message. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const message = isApiError(error) ? error.message : error instanceof Error ? error.message : String(error);
  return (
    <p className="error" role="alert">
      {message}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** The way back from one item to the list it is in ("← All messages"). */
export function BackLink({ href, children }: { href: string; children: string }) {
  return (
    <p>
      <Link href={href}>← {children}</Link>
    </p>
  );
}
