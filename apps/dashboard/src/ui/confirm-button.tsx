import type { ButtonHTMLAttributes } from 'react';

/** A button that asks first (window.confirm) and acts only on yes: for what cannot be undone. */
export function ConfirmButton({ confirm, onConfirm, ...button }: { confirm: string; onConfirm: () => void } & Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'onClick' | 'type'>) {
  return <button type="button" onClick={() => window.confirm(confirm) && onConfirm()} {...button} />;
}
