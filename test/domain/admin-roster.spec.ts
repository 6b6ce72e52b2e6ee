import { adminRosterDecider } from '../../src/domain/agent/admin-roster.decider';
import { given } from '../support/given-when-then';

const granted = (agentId: string) => ({ type: 'AdminGranted' as const, data: { agentId } });
const revoked = (agentId: string) => ({ type: 'AdminRevoked' as const, data: { agentId } });

describe('admin roster: the account always keeps an admin', () => {
  it('grants an admin once; granting again changes nothing', () => {
    given(adminRosterDecider)
      .when({ type: 'GrantAdmin', data: { agentId: 'a1' } })
      .then([granted('a1')]);
    given(adminRosterDecider, granted('a1'))
      .when({ type: 'GrantAdmin', data: { agentId: 'a1' } })
      .then([]);
  });

  it('revokes an admin while another remains', () => {
    given(adminRosterDecider, granted('a1'), granted('a2'))
      .when({ type: 'RevokeAdmin', data: { agentId: 'a1', reason: 'removed' } })
      .then([revoked('a1')]);
  });

  it('refuses to remove or demote the last admin', () => {
    given(adminRosterDecider, granted('a1'))
      .when({ type: 'RevokeAdmin', data: { agentId: 'a1', reason: 'removed' } })
      .thenThrows('invalid-transition', /cannot remove the last admin/);
    given(adminRosterDecider, granted('a1'), granted('a2'), revoked('a2'))
      .when({ type: 'RevokeAdmin', data: { agentId: 'a1', reason: 'demoted' } })
      .thenThrows('invalid-transition', /cannot demote the last admin/);
  });

  it('two admins removing each other: the second decision sees the first and is refused', () => {
    given(adminRosterDecider, granted('a1'), granted('a2'), revoked('a1'))
      .when({ type: 'RevokeAdmin', data: { agentId: 'a2', reason: 'removed' } })
      .thenThrows('invalid-transition', /last admin/);
  });

  it('revoking someone who is not an admin changes nothing', () => {
    given(adminRosterDecider, granted('a1'))
      .when({ type: 'RevokeAdmin', data: { agentId: 'x', reason: 'removed' } })
      .then([]);
  });
});
