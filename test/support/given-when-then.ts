import { fold, type Decider } from '../../src/domain/shared/decider';
import { DomainError, type DomainErrorCode } from '../../src/domain/shared/domain-error';

/**
 * given(decider, ...pastEvents).when(command).then(expectedEvents)
 * given(decider, ...pastEvents).when(command).thenThrows('invalid-transition', /in Trash/)
 *
 * Call `.then(...)` or `.thenThrows(...)` right away: the object returned by `when` has a
 * `then` method, so do not `await` or `return` it from a test.
 */
export function given<Command, Event, State>(decider: Decider<Command, Event, State>, ...history: Event[]) {
  return {
    when(command: Command) {
      const state = fold(decider, history);
      return {
        then(expected: Event[]): void {
          const events = decider.decide(command, state);
          expect(events).toEqual(expected);
          // What decide produced must also fold cleanly.
          fold(decider, [...history, ...events]);
        },
        thenThrows(code: DomainErrorCode, message?: RegExp): void {
          let outcome: { events: Event[] } | { error: unknown };
          try {
            outcome = { events: decider.decide(command, state) };
          } catch (error) {
            outcome = { error };
          }
          if ('events' in outcome) {
            throw new Error(`expected a DomainError "${code}" but decide returned ${JSON.stringify(outcome.events)}`);
          }
          const { error } = outcome;
          expect(error).toBeInstanceOf(DomainError);
          expect({ code: (error as DomainError).code, message: (error as DomainError).message }).toEqual({
            code,
            message: message ? expect.stringMatching(message) : expect.any(String),
          });
        },
      };
    },
  };
}

/** The state after the given events, for assertions about evolve. */
export function stateAfter<Command, Event, State>(decider: Decider<Command, Event, State>, ...history: Event[]): State {
  return fold(decider, history);
}
