import { setupDecider as decider, STALE_SETUP_CLAIM_MS, type SetupCommand, type SetupEvent } from '../../src/domain/agent/setup.decider';
import { given } from '../support/given-when-then';

const T0 = '2026-12-07T10:00:00.000Z';
const later = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

const claim = (agentId: string, overrides: Partial<SetupCommand['data']> = {}): SetupCommand => ({
  type: 'ClaimSetup',
  data: { agentId, email: `${agentId}@example.com`, now: T0, agentsExist: false, claimantRegistered: false, ...overrides },
});
const claimed = (agentId: string, claimedAt = T0): SetupEvent => ({ type: 'SetupClaimed', data: { agentId, email: `${agentId}@example.com`, claimedAt } });

describe('first-run setup: decided once', () => {
  it('the first claim on a fresh instance wins', () => {
    given(decider)
      .when(claim('a1'))
      .then([claimed('a1')]);
  });

  it('refused once an agent exists, even with no claim recorded (an earlier version, or the environment admin)', () => {
    given(decider)
      .when(claim('a1', { agentsExist: true }))
      .thenThrows('conflict', /setup is already done/);
  });

  it('a second claim is refused once the first one registered its admin', () => {
    given(decider, claimed('a1'))
      .when(claim('a2', { claimantRegistered: true, now: later(10 * STALE_SETUP_CLAIM_MS) }))
      .thenThrows('conflict', /setup is already done/);
  });

  it('a second claim is refused while the first one may still be registering', () => {
    given(decider, claimed('a1'))
      .when(claim('a2', { now: later(1_000) }))
      .thenThrows('conflict', /another setup is running/);
    given(decider, claimed('a1'))
      .when(claim('a2', { now: later(STALE_SETUP_CLAIM_MS) }))
      .thenThrows('conflict', /another setup is running/);
  });

  it('a stale claim whose admin never got registered (a crash) may be taken over', () => {
    given(decider, claimed('a1'))
      .when(claim('a2', { now: later(STALE_SETUP_CLAIM_MS + 1) }))
      .then([claimed('a2', later(STALE_SETUP_CLAIM_MS + 1))]);
  });

  it('attempts recorded by earlier versions (no agent id, no time) do not block a setup while nobody exists', () => {
    given(decider, { type: 'SetupStarted', data: { email: 'old@example.com' } })
      .when(claim('a1'))
      .then([claimed('a1')]);
  });
});
