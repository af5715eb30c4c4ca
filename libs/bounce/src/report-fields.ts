/**
 * The machine-readable parts of DSNs (RFC 3464) and feedback reports (RFC 5965) are groups of
 * header-style fields separated by blank lines. Field names are lower-cased; a repeated field
 * keeps every value in order.
 */
export type FieldGroup = Map<string, string[]>;

export function parseFieldGroups(text: string): FieldGroup[] {
  const groups: FieldGroup[] = [];
  let current: FieldGroup | null = null;
  let last: { name: string; group: FieldGroup } | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) {
      current = null;
      last = null;
      continue;
    }
    if (/^[ \t]/.test(line) && last) {
      const values = last.group.get(last.name)!;
      values[values.length - 1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!/^[a-z0-9-]+$/.test(name)) continue;
    if (!current) groups.push((current = new Map()));
    const values = current.get(name) ?? [];
    values.push(line.slice(colon + 1).trim());
    current.set(name, values);
    last = { name, group: current };
  }
  return groups;
}

export function field(group: FieldGroup | undefined, name: string): string | undefined {
  return group?.get(name)?.[0];
}

/** `rfc822; bob@example.net` -> `bob@example.net` (also tolerates a missing type). */
export function typedAddress(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const semi = value.indexOf(';');
  const address = (semi >= 0 ? value.slice(semi + 1) : value).trim().replace(/^<|>$/g, '').trim();
  return address || undefined;
}

/** `smtp; 550 5.1.1 ...` -> `550 5.1.1 ...`; only the diagnostic type `smtp` carries a reply. */
export function diagnosticText(value: string | undefined): { type?: string; text: string } | undefined {
  if (!value) return undefined;
  const semi = value.indexOf(';');
  if (semi < 0) return { text: value.trim() };
  return { type: value.slice(0, semi).trim().toLowerCase(), text: value.slice(semi + 1).trim() };
}

/** The address inside angle brackets or the bare address; lower-cased domain. */
export function bareAddress(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const angle = /<([^<>]*)>/.exec(value);
  const address = (angle ? angle[1] : value).trim();
  return /^[^\s@]+@[^\s@]+$/.test(address) ? address : undefined;
}
