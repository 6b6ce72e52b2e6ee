import type { Decider } from '../shared/decider';
import { conflict } from '../shared/domain-error';

/**
 * First-run setup: the first admin is created once, ever. The claim lives on one stream, and the
 * first claim is appended with expected revision "no stream": of any number of simultaneous
 * setups, on any number of instances sharing the event store, exactly one append succeeds and the
 * others are decided again on its outcome (refused).
 *
 * A claim whose agent never got registered (the process died in between) is left alone while it
 * is fresh (its registration may still be running) and may be taken over once stale, so a crash
 * cannot make setup impossible.
 */
export type SetupEvent =
  | { type: 'SetupClaimed'; data: { agentId: string; email: string; claimedAt: string } }
  /** Written by earlier versions, one per attempt, with no agent id: read as a claim of unknown age. */
  | { type: 'SetupStarted'; data: { email: string } };

export type SetupCommand = {
  type: 'ClaimSetup';
  data: {
    agentId: string;
    email: string;
    now: string;
    /** Some agent already exists (the directory says so): setup was done some other way. */
    agentsExist: boolean;
    /** The agent of the current claim, if any, was registered (even if removed since). */
    claimantRegistered: boolean;
  };
};

export type SetupState = { readonly status: 'open' } | { readonly status: 'claimed'; readonly agentId: string | null; readonly claimedAt: string | null };

/** A claim older than this whose agent was never registered was left by a crash. */
export const STALE_SETUP_CLAIM_MS = 60_000;

export const ALREADY_SET_UP = 'setup is already done: an agent exists; log in instead';
export const SETUP_RUNNING = 'another setup is running right now; log in when it is done';

export const setupDecider: Decider<SetupCommand, SetupEvent, SetupState> = {
  initialState: () => ({ status: 'open' }),
  evolve: (_state, event) =>
    event.type === 'SetupClaimed'
      ? { status: 'claimed', agentId: event.data.agentId, claimedAt: event.data.claimedAt }
      : { status: 'claimed', agentId: null, claimedAt: null },
  decide: (command, state) => {
    const { agentId, email, now, agentsExist, claimantRegistered } = command.data;
    if (agentsExist) throw conflict('setup-done', ALREADY_SET_UP);
    if (state.status === 'claimed') {
      if (claimantRegistered) throw conflict('setup-done', ALREADY_SET_UP);
      const age = state.claimedAt === null ? Infinity : Date.parse(now) - Date.parse(state.claimedAt);
      if (!(age > STALE_SETUP_CLAIM_MS)) throw conflict('setup-running', SETUP_RUNNING);
    }
    return [{ type: 'SetupClaimed', data: { agentId, email, claimedAt: now } }];
  },
};
