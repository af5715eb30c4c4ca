import type { ReactNode } from 'react';
import { ErrorNote } from './page';

/**
 * A one-line form (create, add, invite): its fields, the submit button (disabled while `pending`),
 * an optional status line, and the error of the last try.
 */
export function InlineForm({
  label,
  onSubmit,
  submit,
  pending,
  status,
  error,
  className = 'inline-form',
  buttonClassName,
  children,
}: {
  /** The form's accessible name. */
  label: string;
  onSubmit: () => void;
  /** The submit button's text. */
  submit: string;
  pending?: boolean;
  status?: string;
  error: unknown;
  className?: string;
  buttonClassName?: string;
  children: ReactNode;
}) {
  return (
    <form className={className} aria-label={label} onSubmit={(e) => (e.preventDefault(), onSubmit())}>
      {children}
      <button type="submit" className={buttonClassName} disabled={pending}>
        {submit}
      </button>
      {status ? <p role="status">{status}</p> : null}
      <ErrorNote error={error} />
    </form>
  );
}
