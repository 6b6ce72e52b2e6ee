import { agentEmailDecider as decider } from '../../src/domain/agent/agent.decider';
import type { AgentEmailCommand, AgentEmailEvent } from '../../src/domain/agent/agent.events';
import { given, stateAfter } from '../support/given-when-then';

const claim = (agentId: string, email = 'Bo@Parley.Example'): AgentEmailCommand => ({ type: 'ClaimAgentEmail', data: { email, agentId } });
const release = (agentId: string): AgentEmailCommand => ({ type: 'ReleaseAgentEmail', data: { email: 'bo@parley.example', agentId } });
const claimed = (agentId: string): AgentEmailEvent => ({ type: 'AgentEmailClaimed', data: { email: 'bo@parley.example', agentId } });
const released = (agentId: string): AgentEmailEvent => ({ type: 'AgentEmailReleased', data: { email: 'bo@parley.example', agentId } });

describe('agent email uniqueness', () => {
  it('claims an unused address, lower-cased', () => {
    given(decider)
      .when(claim('agent-bo'))
      .then([claimed('agent-bo')]);
  });

  it('claiming again for the same agent is already done', () => {
    given(decider, claimed('agent-bo')).when(claim('agent-bo')).then([]);
  });

  it('refuses an address another agent uses', () => {
    given(decider, claimed('agent-bo'))
      .when(claim('agent-cy'))
      .thenThrows('conflict', /^bo@parley\.example is already used by another agent/);
  });

  it('a released address can be claimed by someone else', () => {
    given(decider, claimed('agent-bo'), released('agent-bo'))
      .when(claim('agent-cy'))
      .then([claimed('agent-cy')]);
    expect(stateAfter(decider, claimed('agent-bo'), released('agent-bo'))).toEqual({ status: 'released', email: 'bo@parley.example' });
  });

  it('the owner releases the address', () => {
    given(decider, claimed('agent-bo'))
      .when(release('agent-bo'))
      .then([released('agent-bo')]);
  });

  it('releasing for anyone else, or when unclaimed, does nothing', () => {
    given(decider, claimed('agent-bo')).when(release('agent-cy')).then([]);
    given(decider).when(release('agent-bo')).then([]);
    given(decider, claimed('agent-bo'), released('agent-bo')).when(release('agent-bo')).then([]);
  });

  it('refuses an empty address', () => {
    given(decider)
      .when(claim('agent-bo', ' '))
      .thenThrows('invalid-input', /email must not be empty/);
  });
});
