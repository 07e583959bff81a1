import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}

describe('logger', () => {
  it('censors transcripts, phone numbers and digits at the top level and one level down', () => {
    const { lines, stream } = capture();
    const logger = createLogger('info', stream).child({ callSid: 'CA1' });
    logger.info({ transcript: 'my card number is 4242', from: '+15551234567', call: { to: '+15557654321', digits: '1234' } }, 'turn');
    const line = lines.join('');
    expect(line).not.toContain('4242');
    expect(line).not.toContain('+1555');
    expect(line).not.toContain('1234"');
    expect(JSON.parse(line)).toMatchObject({ callSid: 'CA1', msg: 'turn', transcript: '[redacted]', call: { to: '[redacted]' } });
  });
});
