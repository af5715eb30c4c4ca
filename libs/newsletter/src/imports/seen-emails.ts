/**
 * The addresses an import has seen, as 64-bit fingerprints in an open-addressing table: 16 bytes
 * per address at most (8 per slot, half the slots free), where a Set of strings takes about 80,
 * so a file of millions of rows finds its duplicates in flat memory. Two different addresses
 * share a fingerprint with odds of about n^2 / 2^65 (1 in 40 million for a million rows); the
 * second would be reported as a duplicate.
 */
export class SeenEmails {
  private slots: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(initialSlots = 1 << 16) {
    this.slots = new Uint32Array(initialSlots * 2);
    this.mask = initialSlots - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Adds the address; false when it was seen before. */
  add(email: string): boolean {
    let a = 0x811c9dc5;
    let b = 0x9747b28c;
    for (let i = 0; i < email.length; i++) {
      const c = email.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 13;
    }
    a = fmix(a);
    b = fmix(b ^ email.length);
    if (a === 0 && b === 0) b = 1; // (0, 0) marks a free slot
    if (!this.insert(a, b)) return false;
    if (++this.count * 2 > this.mask + 1) this.grow();
    return true;
  }

  private insert(a: number, b: number): boolean {
    for (let i = (a ^ b) & this.mask; ; i = (i + 1) & this.mask) {
      const x = this.slots[i * 2]!;
      const y = this.slots[i * 2 + 1]!;
      if (x === 0 && y === 0) {
        this.slots[i * 2] = a;
        this.slots[i * 2 + 1] = b;
        return true;
      }
      if (x === a && y === b) return false;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.mask = old.length - 1;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0 || old[i + 1] !== 0) this.insert(old[i]!, old[i + 1]!);
  }
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
