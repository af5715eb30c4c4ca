import { describe, expect, it } from 'vitest';
import { parseSegmentFilter } from './segment-filter.schema';

const LIST = '0f0e1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b';

describe('parseSegmentFilter', () => {
  it('turns the JSON grammar into the typed filter, collecting the lists it names', () => {
    const parsed = parseSegmentFilter({
      all: [
        { field: 'attributes.company.size', op: 'gt', value: 10 },
        { any: [{ field: 'list', op: 'member', value: LIST }, { field: 'engagement', op: 'not_clicked', days: 30 }] },
        { field: 'created_at', op: 'after', value: '2026-01-01' },
      ],
    });
    expect(parsed.listIds).toEqual([LIST]);
    expect(parsed.filter).toEqual({
      all: [
        { field: 'attribute', path: ['company', 'size'], op: 'gt', value: 10 },
        { any: [{ field: 'list', op: 'member', value: LIST }, { field: 'engagement', op: 'not_clicked', days: 30 }] },
        { field: 'created_at', op: 'after', value: new Date('2026-01-01T00:00:00Z') },
      ],
    });
  });

  it.each([
    ['null', null, /filter: must be an object/],
    ['a missing value', { field: 'attributes.plan', op: 'eq' }, /^filter\.value: Required/],
    ['an empty in', { field: 'attributes.plan', op: 'in', value: [] }, /^filter\.value: Array must contain at least 1/],
    ['a value exists does not take', { field: 'attributes.plan', op: 'exists', value: 'x' }, /Unrecognized key/],
    ['an unknown status', { field: 'status', op: 'eq', value: 'gone' }, /^filter\.value: Invalid enum value/],
    ['an op the field has not', { field: 'email', op: 'gt', value: 'a' }, /^filter\.op: Invalid discriminator value/],
    ['a group that is no array', { all: 'x' }, /^filter\.all: must be an array/],
    ['101 conditions', { all: Array.from({ length: 101 }, () => ({ field: 'attributes.a', op: 'exists' })) }, /at most 100 conditions/],
    ['a path 6 deep', { field: 'attributes.a.b.c.d.e.f', op: 'exists' }, /at most 5 levels/],
    ['a value of 1001 characters', { field: 'attributes.x', op: 'eq', value: 'y'.repeat(1001) }, /^filter\.value: String must contain at most 1000/],
  ])('refuses %s', (_, filter, message) => {
    expect(() => parseSegmentFilter(filter)).toThrow(message);
  });
});
