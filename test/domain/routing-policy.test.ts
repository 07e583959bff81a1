import { describe, expect, it } from 'vitest';
import { decideRoute, type RoutingState } from '../../src/domain/routing-policy.js';

const atDesk: RoutingState = { activeAgent: 'front_desk', previousAgent: null, candidateAgent: null, candidateStreak: 0 };
const atBilling: RoutingState = { activeAgent: 'billing', previousAgent: 'front_desk', candidateAgent: null, candidateStreak: 0 };

describe('decideRoute', () => {
  it('leaves the front desk on one turn above the enter threshold', () => {
    expect(decideRoute(atDesk, { agent: 'billing', confidence: 0.5 }, 'front_desk')).toMatchObject({
      action: 'switch',
      activeAgent: 'billing',
      previousAgent: 'front_desk',
    });
  });

  it('stays below the enter threshold', () => {
    expect(decideRoute(atDesk, { agent: 'billing', confidence: 0.3 }, 'front_desk').action).toBe('stay');
  });

  it('leaves a specialist on one very confident turn', () => {
    expect(decideRoute(atBilling, { agent: 'retention', confidence: 0.8 }, 'front_desk').action).toBe('switch');
  });

  it('leaves a specialist on a moderate turn only when the next turn agrees', () => {
    const first = decideRoute(atBilling, { agent: 'retention', confidence: 0.6 }, 'front_desk');
    expect(first).toMatchObject({ action: 'pending', activeAgent: 'billing', candidateAgent: 'retention', candidateStreak: 1 });
    const second = decideRoute({ ...atBilling, ...first }, { agent: 'retention', confidence: 0.6 }, 'front_desk');
    expect(second).toMatchObject({ action: 'switch', activeAgent: 'retention', previousAgent: 'billing' });
  });

  it('drops a candidate when the next turn points elsewhere', () => {
    const first = decideRoute(atBilling, { agent: 'retention', confidence: 0.6 }, 'front_desk');
    const back = decideRoute({ ...atBilling, ...first }, { agent: 'billing', confidence: 0.9 }, 'front_desk');
    expect(back).toMatchObject({ action: 'stay', candidateAgent: null, candidateStreak: 0 });
    const other = decideRoute({ ...atBilling, ...first }, { agent: 'sales', confidence: 0.6 }, 'front_desk');
    expect(other).toMatchObject({ action: 'pending', candidateAgent: 'sales', candidateStreak: 1 });
  });

  it('never flips straight back to the agent it just left, however confident', () => {
    const state: RoutingState = { activeAgent: 'retention', previousAgent: 'billing', candidateAgent: null, candidateStreak: 0 };
    expect(decideRoute(state, { agent: 'billing', confidence: 0.99 }, 'front_desk').action).toBe('pending');
  });

  it('stays when there is no classification', () => {
    const pending = { ...atBilling, candidateAgent: 'retention', candidateStreak: 1 };
    expect(decideRoute(pending, undefined, 'front_desk')).toMatchObject({ action: 'stay', candidateStreak: 0 });
  });
});
