import { afterEach, describe, expect, it } from 'vitest';
import { migrateRecordStore } from '../../src/records/record-migrations.js';
import { openPostgresDb, openSqliteDb, type SqlDb } from '../../src/records/sql-db.js';
import { SharedCallState } from '../../src/store/shared-call-state.js';
import { SignedStreamTokens } from '../../src/telephony/signed-stream-token.js';
import { freshSchemaUrl } from '../records/pg-schema.js';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
const SECRET = '0123456789abcdef0123456789abcdef';

const open: SharedCallState[] = [];
afterEach(async () => {
  for (const state of open.splice(0)) await state.close();
});

async function stateOn(db: SqlDb, now: () => number): Promise<SharedCallState> {
  await migrateRecordStore(db);
  const state = new SharedCallState(db, { answerWindowMs: 30_000, memoryMs: 60 * 60_000, now });
  open.push(state);
  return state;
}

describe('signed stream tokens', () => {
  it('verify on any instance holding the same secret, bound to the CallSid, until they expire', () => {
    const clock = { now: 1_000_000 };
    const a = new SignedStreamTokens({ secret: SECRET, ttlMs: 30_000, now: () => clock.now });
    const b = new SignedStreamTokens({ secret: SECRET, ttlMs: 30_000, now: () => clock.now });
    const token = a.issue('CA1');
    expect(token.length).toBeLessThan(400);
    const verdict = b.verify('CA1', token);
    expect(verdict.ok && verdict.claims).toMatchObject({ callSid: 'CA1', expiresAtMs: 1_030_000 });
    expect(b.verify('CA2', token)).toEqual({ ok: false, reason: 'wrong_call' });
    expect(new SignedStreamTokens({ secret: 'f'.repeat(32), ttlMs: 30_000 }).verify('CA1', token)).toEqual({ ok: false, reason: 'bad_signature' });
    const [version, body, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body ?? '', 'base64url').toString()), c: 'CA9' })).toString('base64url');
    expect(b.verify('CA9', `${version}.${forged}.${signature}`)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(b.verify('CA1', 'garbage')).toEqual({ ok: false, reason: 'malformed' });
    clock.now += 30_000;
    expect(b.verify('CA1', token)).toEqual({ ok: false, reason: 'expired' });
    // Two tokens for one call differ (their nonces).
    expect(a.issue('CA1')).not.toBe(a.issue('CA1'));
  });

  it('carry a resume claim only when minted for a moved call, and the claim is signed', () => {
    const tokens = new SignedStreamTokens({ secret: SECRET, ttlMs: 30_000 });
    const plain = tokens.verify('CA1', tokens.issue('CA1'));
    expect(plain.ok && plain.claims.resume).toBe(false);
    const resume = tokens.issue('CA1', { resume: true });
    const verified = tokens.verify('CA1', resume);
    expect(verified.ok && verified.claims.resume).toBe(true);
    // Adding the claim to a plain token breaks its signature.
    const [version, body, signature] = tokens.issue('CA1').split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body ?? '', 'base64url').toString()), r: 1 })).toString('base64url');
    expect(tokens.verify('CA1', `${version}.${forged}.${signature}`)).toEqual({ ok: false, reason: 'bad_signature' });
  });
});

function contract(name: string, openDb: () => Promise<SqlDb>): void {
  describe(name, () => {
    it('uses a token nonce once across instances, and claims a CallSid once', async () => {
      const clock = { now: 5_000_000 };
      const db = await openDb();
      const one = await stateOn(db, () => clock.now);
      expect(await one.useStreamToken('nonce-1', 'CA1', clock.now + 30_000)).toBe(true);
      expect(await one.useStreamToken('nonce-1', 'CA1', clock.now + 30_000)).toBe(false);
      expect(await one.useStreamToken('nonce-2', 'CA1', clock.now + 30_000)).toBe(true);

      expect(await one.claim('CA1')).toBe('admitted');
      expect(await one.claim('CA1')).toBe('pending');
      clock.now += 30_000;
      expect(await one.claim('CA1')).toBe('served');
      expect(await one.claim('CA2')).toBe('admitted');
      await one.markStreamStarted('CA2');
      expect(await one.claim('CA2')).toBe('served');
      await one.markStreamStarted('CA3');
      expect(await one.claim('CA3')).toBe('served');

      // Concurrent claims of one CallSid: exactly one is admitted.
      const verdicts = await Promise.all(Array.from({ length: 8 }, () => one.claim('CArace')));
      expect(verdicts.filter((v) => v === 'admitted')).toHaveLength(1);
      const uses = await Promise.all(Array.from({ length: 8 }, () => one.useStreamToken('nonce-race', 'CArace', clock.now + 1_000)));
      expect(uses.filter(Boolean)).toHaveLength(1);

      clock.now += 2 * 60 * 60_000;
      expect(await one.prune()).toBeGreaterThanOrEqual(6);
      expect(await one.useStreamToken('nonce-1', 'CA1', clock.now + 30_000)).toBe(true);
    });

    it('keeps one conversation context per CallSid, visible to every instance on the database, pruned with the admissions', async () => {
      const clock = { now: 7_000_000 };
      const db = await openDb();
      const one = await stateOn(db, () => clock.now);
      const two = new SharedCallState(db, { answerWindowMs: 30_000, memoryMs: 60 * 60_000, now: () => clock.now });
      expect(await two.loadContext('CActx')).toBeUndefined();
      const first = { agent: 'general', turns: [{ role: 'user' as const, text: 'Hi, my bill is wrong.' }], replyPending: true };
      await one.saveContext('CActx', first);
      expect(await two.loadContext('CActx')).toEqual(first);
      const second = { agent: 'billing', turns: [...first.turns, { role: 'assistant' as const, text: "Let me look — it's" }], replyPending: true };
      await one.saveContext('CActx', second);
      expect(await two.loadContext('CActx')).toEqual(second);
      await one.saveContext('CAgone', first);
      await one.deleteContext('CAgone');
      expect(await two.loadContext('CAgone')).toBeUndefined();
      clock.now += 2 * 60 * 60_000;
      expect(await one.prune()).toBe(1);
      expect(await two.loadContext('CActx')).toBeUndefined();
      // A row that is not a context (hand-edited, older shape) resumes nothing rather than failing the call.
      await db.run(`INSERT INTO conversation_contexts (call_sid, context_json, updated_at_ms) VALUES ($1, $2, $3)`, ['CAbad', '{"agent":1}', clock.now]);
      expect(await one.loadContext('CAbad')).toBeUndefined();
    });
  });
}

contract('shared call state on SQLite', async () => openSqliteDb(':memory:'));

describe.runIf(TEST_DATABASE_URL)('shared call state on PostgreSQL (TEST_DATABASE_URL)', () => {
  contract('the same contract', async () => openPostgresDb(await freshSchemaUrl(TEST_DATABASE_URL as string, 'shared_state_contract')));
});
