import type { Decider } from '../shared/decider';
import { invalidTransition } from '../shared/domain-error';

/**
 * Who the admins are, in one stream, so that "never remove or demote the last admin" is decided
 * on one aggregate: two admins removing each other at the same moment append to the same stream
 * with the same expected revision, and the second is decided again on the first's outcome.
 */
export type AdminRosterEvent = { type: 'AdminGranted'; data: { agentId: string } } | { type: 'AdminRevoked'; data: { agentId: string } };

export type AdminRosterCommand =
  { type: 'GrantAdmin'; data: { agentId: string } } | { type: 'RevokeAdmin'; data: { agentId: string; reason: 'demoted' | 'removed' } };

export interface AdminRosterState {
  readonly admins: ReadonlySet<string>;
}

export const adminRosterDecider: Decider<AdminRosterCommand, AdminRosterEvent, AdminRosterState> = {
  initialState: () => ({ admins: new Set() }),
  evolve(state, event) {
    const admins = new Set(state.admins);
    if (event.type === 'AdminGranted') admins.add(event.data.agentId);
    else admins.delete(event.data.agentId);
    return { admins };
  },
  decide(command, state) {
    const { agentId } = command.data;
    if (command.type === 'GrantAdmin') {
      return state.admins.has(agentId) ? [] : [{ type: 'AdminGranted', data: { agentId } }];
    }
    if (!state.admins.has(agentId)) return [];
    if (state.admins.size === 1) {
      throw command.data.reason === 'removed'
        ? invalidTransition('last-admin-remove-roster', 'cannot remove the last admin; make another agent admin first')
        : invalidTransition('last-admin-demote-roster', 'cannot demote the last admin; make another agent admin first');
    }
    return [{ type: 'AdminRevoked', data: { agentId } }];
  },
};
