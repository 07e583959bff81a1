/** The nginx configs under deploy/nginx/ pass `nginx -t` (when nginx is installed; `.ci/run` installs it). */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderConnectStream } from '../../src/telephony/twiml.js';
import { NGINX_BIN, NGINX_CONFIG_DIR, rewrittenConfig, testNginxConfig } from './nginx.js';

describe('deploy/nginx/', () => {
  it('ships both modes', async () => {
    expect((await readdir(NGINX_CONFIG_DIR)).sort()).toEqual(['round-robin.conf', 'route-by-instance.conf']);
  });

  it('mode 2 maps the stream URL the TwiML builder writes for each instance to that instance', async () => {
    const text = await readFile(path.join(NGINX_CONFIG_DIR, 'route-by-instance.conf'), 'utf8');
    const routes = [...text.matchAll(/^\s*~(\S+)\s+(\S+);$/gm)].map((m) => ({ pattern: new RegExp(m[1] ?? ''), upstream: m[2] }));
    expect(routes.map((r) => r.upstream)).toEqual(['voicebot_bot_1', 'voicebot_bot_2']);
    for (const [instanceId, upstream] of [['bot-1', 'voicebot_bot_1'], ['bot-2', 'voicebot_bot_2']] as const) {
      const twiml = renderConnectStream({ publicBaseUrl: 'https://bot.example.com', token: 't', callSid: 'CA1', from: '', to: '', instanceId });
      const streamPath = new URL(/<Stream url="([^"]+)"/.exec(twiml)?.[1] ?? '').pathname;
      expect(routes.filter((r) => r.pattern.test(streamPath)).map((r) => r.upstream)).toEqual([upstream]);
      expect(text).toContain(`upstream ${upstream} {`);
    }
    expect(routes.some((r) => r.pattern.test('/twilio/media'))).toBe(false);
  });

  describe.runIf(NGINX_BIN)('nginx -t', () => {
    for (const name of ['round-robin.conf', 'route-by-instance.conf']) {
      it(`${name} is valid`, async () => {
        expect(await testNginxConfig(await rewrittenConfig(name, 18080, [13001, 13002]))).toMatch(/test is successful/);
      });
    }

    it('fails on a broken config (the check can fail)', async () => {
      const broken = (await rewrittenConfig('round-robin.conf', 18080, [13001, 13002])).replace('keepalive 32;', 'keepalive 32');
      await expect(testNginxConfig(broken)).rejects.toThrow(/nginx -t failed/);
    });
  });
});
