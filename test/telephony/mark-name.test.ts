import { describe, expect, it } from 'vitest';
import { formatMarkName, parseMarkName } from '../../src/telephony/mark-name.js';

describe('mark names', () => {
  it('encodes generation, item and position', () => {
    expect(formatMarkName({ generation: 3, itemId: 'item_abc', endMs: 1840 })).toBe('g3:item_abc:1840');
  });

  it('round-trips item ids with colons and fractional positions', () => {
    const position = { generation: 12, itemId: 'item:with:colons', endMs: 80.125 };
    expect(parseMarkName(formatMarkName(position))).toEqual(position);
  });

  it.each(['', 'g', 'x3:item:80', 'g:item:80', 'g3:item:', 'g3::80', 'g3:item:-1', 'gx:item:80', 'g3item80'])(
    'rejects %j',
    (name) => {
      expect(parseMarkName(name)).toBeUndefined();
    },
  );
});
