import { CopyButton } from './copy-button';

/** A secret the API shows once (an API key, a password): shown, copyable, and said to be shown once. */
export function SecretOnce({ label, value, onDone }: { label: string; value: string; onDone: () => void }) {
  return (
    <div className="notice" role="status">
      <p>
        <strong>{label}</strong> — copy it now: it is shown only this once.
      </p>
      <p className="secret">
        <code>{value}</code> <CopyButton value={value} label={label} />
      </p>
      <button type="button" onClick={onDone}>
        Done
      </button>
    </div>
  );
}
