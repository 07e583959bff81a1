import { describe, expect, it } from 'vitest';
import { httpUrl, urlWithProtocol, wsUrl } from '../src/url-with-protocol.js';

function issueOf(result: { success: boolean; error?: { issues: { message: string }[] } }): string | undefined {
  return result.success ? undefined : result.error?.issues[0]?.message;
}

describe('urlWithProtocol', () => {
  it('accepts a URL whose protocol is listed, trimmed', () => {
    expect(httpUrl.parse('  https://crm.example.com/hooks/calls ')).toBe('https://crm.example.com/hooks/calls');
    expect(httpUrl.parse('http://127.0.0.1:8080/v1')).toBe('http://127.0.0.1:8080/v1');
    expect(wsUrl.parse('wss://api.openai.com/v1/realtime')).toBe('wss://api.openai.com/v1/realtime');
    expect(wsUrl.parse('ws://127.0.0.1:9999/v1/realtime')).toBe('ws://127.0.0.1:9999/v1/realtime');
  });

  it('refuses another protocol or text that is not a URL, naming the allowed schemes', () => {
    expect(issueOf(httpUrl.safeParse('ws://127.0.0.1:9999'))).toBe('must be an http:// or https:// URL');
    expect(issueOf(httpUrl.safeParse('crm.example.com/hooks'))).toBe('must be an http:// or https:// URL');
    expect(issueOf(wsUrl.safeParse('https://api.openai.com/v1/realtime'))).toBe('must be a ws:// or wss:// URL');
    expect(issueOf(wsUrl.safeParse(''))).toBe('must be a ws:// or wss:// URL');
  });

  it('builds a schema for any list of protocols, matching them case-insensitively', () => {
    const sftp = urlWithProtocol(['SFTP:']);
    expect(sftp.parse('sftp://files.example.com/in')).toBe('sftp://files.example.com/in');
    expect(issueOf(sftp.safeParse('ftp://files.example.com/in'))).toBe('must be an sftp:// URL');
  });

  it('throws at construction on an empty list or a protocol without its colon', () => {
    expect(() => urlWithProtocol([])).toThrow(/protocols like 'https:'/);
    expect(() => urlWithProtocol(['https'])).toThrow(/protocols like 'https:'/);
  });
});
