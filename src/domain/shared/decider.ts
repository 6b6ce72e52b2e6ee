/**
 * An aggregate as three plain things (CONTRIBUTING.md "Domain"):
 * the state before anything happened, how an event changes state, and which events a command
 * produces in a state. decide throws a DomainError when a rule forbids the command and returns
 * [] when the command is already satisfied (a harmless repeat).
 */
export interface Decider<Command, Event, State> {
  initialState: () => State;
  evolve: (state: State, event: Event) => State;
  decide: (command: Command, state: State) => Event[];
}

/** Folds events into state. */
export function fold<Command, Event, State>(decider: Decider<Command, Event, State>, events: Iterable<Event>): State {
  let state = decider.initialState();
  for (const event of events) state = decider.evolve(state, event);
  return state;
}
