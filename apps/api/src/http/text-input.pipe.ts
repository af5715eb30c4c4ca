import { BadRequestException, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { isWellFormedText } from '@mailroom/common';

/** Why a string cannot be taken as text, or null when it can. */
function textProblem(text: string): string | null {
  if (text.includes('\0')) return 'NUL characters are not allowed';
  if (!isWellFormedText(text)) return 'a lone UTF-16 surrogate is not valid text';
  return null;
}

interface Visit {
  value: unknown;
  key: string | null;
  parent: Visit | null;
}

const pathOf = (visit: Visit | null): string[] => {
  const path: string[] = [];
  for (let at = visit; at; at = at.parent) if (at.key !== null) path.unshift(at.key);
  return path;
};

/**
 * The first string (value or key) in `value` that is no valid text: its path and the problem.
 * Walked with a stack of its own, each node pointing at its parent: a parsed JSON body can nest
 * deeper than the call stack goes, and copying paths would cost depth squared.
 */
function findBadText(value: unknown, rootKey: string | null): { path: string[]; problem: string } | null {
  const stack: Visit[] = [{ value, key: rootKey, parent: null }];
  while (stack.length) {
    const visit = stack.pop()!;
    const current = visit.value;
    if (typeof current === 'string') {
      const problem = textProblem(current);
      if (problem) return { path: pathOf(visit), problem };
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    const entries: Array<[string, unknown]> = Array.isArray(current) ? current.map((item, i) => [String(i), item]) : Object.entries(current);
    if (!Array.isArray(current)) {
      for (const [key] of entries) {
        const problem = textProblem(key);
        if (problem) return { path: pathOf(visit), problem: `a key: ${problem}` };
      }
    }
    // Pushed in reverse so that the first bad field in document order is the one reported.
    for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i][1], key: entries[i][0], parent: visit });
  }
  return null;
}

/**
 * Runs on every query, path and body argument of every route, before the route's own pipes:
 * a NUL or a lone surrogate in any string is a 400 naming the parameter. Neither has a place in
 * any field, and PostgreSQL refuses both in text and jsonb, so letting one through ends in a
 * 500 (or worse, a query that fails only later). One check here instead of one per schema.
 */
export class TextInputPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    const found = findBadText(value, metadata.data ?? null);
    if (!found) return value;
    const where = found.path.length ? found.path.join('.') : metadata.type;
    throw new BadRequestException({ code: 'invalid_request', message: `${where}: ${found.problem}` });
  }
}
