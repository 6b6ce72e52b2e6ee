import type { Decider } from '../shared/decider';
import { conflict, invalidInput, notFound } from '../shared/domain-error';
import type { CustomViewCommand, CustomViewEvent, CustomViewUpdated, SavedFilters } from './custom-view.events';

export const CUSTOM_VIEW_NAME_MAX_LENGTH = 100;

export type CustomViewState =
  | { readonly status: 'none' }
  | {
      readonly status: 'active';
      readonly viewId: string;
      readonly inboxId: string;
      readonly name: string;
      readonly filters: SavedFilters;
      /** The agent who created it: with admins, the only one who may change or delete it. */
      readonly createdBy: string;
    }
  | { readonly status: 'deleted'; readonly viewId: string; readonly inboxId: string; readonly createdBy: string };

type ActiveView = Extract<CustomViewState, { status: 'active' }>;

export const customViewDecider: Decider<CustomViewCommand, CustomViewEvent, CustomViewState> = {
  initialState: () => ({ status: 'none' }),

  evolve: (state, event) => {
    switch (event.type) {
      case 'CustomViewCreated':
        return { status: 'active', ...event.data };
      case 'CustomViewUpdated':
        if (state.status !== 'active') return state;
        return {
          ...state,
          ...(event.data.name === undefined ? {} : { name: event.data.name }),
          ...(event.data.filters === undefined ? {} : { filters: event.data.filters }),
        };
      case 'CustomViewDeleted':
        if (state.status !== 'active') return state;
        return { status: 'deleted', viewId: state.viewId, inboxId: state.inboxId, createdBy: state.createdBy };
      default:
        return state;
    }
  },

  decide: (command, state) => {
    switch (command.type) {
      case 'CreateCustomView': {
        if (state.status !== 'none')
          throw conflict('view-exists', 'custom view {{viewId}} already exists; create the new view with a new id', { viewId: state.viewId });
        const { viewId, inboxId, createdBy } = command.data;
        return [
          { type: 'CustomViewCreated', data: { viewId, inboxId, name: validName(command.data.name), filters: validFilters(command.data.filters), createdBy } },
        ];
      }
      case 'UpdateCustomView': {
        const view = active(state);
        const changes: CustomViewUpdated['data'] = {};
        if (command.data.name !== undefined) {
          const name = validName(command.data.name);
          if (name !== view.name) changes.name = name;
        }
        if (command.data.filters !== undefined) {
          const filters = validFilters(command.data.filters);
          if (!sameFilters(filters, view.filters)) changes.filters = filters;
        }
        if (Object.keys(changes).length === 0) return [];
        return [{ type: 'CustomViewUpdated', data: changes }];
      }
      case 'DeleteCustomView': {
        if (state.status === 'deleted') return [];
        active(state);
        return [{ type: 'CustomViewDeleted', data: {} }];
      }
      default: {
        const unknown: never = command;
        throw invalidInput('unknown-command', 'unknown {{aggregate}} command {{type}}', {
          aggregate: 'custom view',
          type: JSON.stringify((unknown as { type?: unknown }).type),
        });
      }
    }
  },
};

function active(state: CustomViewState): ActiveView {
  if (state.status !== 'active') throw notFound('view-not-found', 'custom view not found; it may have been deleted');
  return state;
}

function validName(value: string): string {
  const name = (typeof value === 'string' ? value : '').trim();
  if (name === '') throw invalidInput('view-name-empty', 'name must not be empty: give the view a name');
  if (name.length > CUSTOM_VIEW_NAME_MAX_LENGTH) {
    throw invalidInput('field-too-long', '{{field}} must be at most {{max}} characters (it has {{length}}); shorten it', {
      field: 'name',
      max: CUSTOM_VIEW_NAME_MAX_LENGTH,
      length: name.length,
    });
  }
  return name;
}

/** Keys sorted, so that the same filters always look the same in the log and compare equal. */
function validFilters(filters: SavedFilters): SavedFilters {
  if (typeof filters !== 'object' || filters === null || Array.isArray(filters)) {
    throw invalidInput('view-filters-not-object', 'filters must be an object of filter names and values, e.g. {"status":"open"}');
  }
  const entries = Object.entries(filters);
  const bad = entries.find(([, value]) => typeof value !== 'string' && typeof value !== 'boolean');
  if (bad) throw invalidInput('view-filter-value', '{{field}} must be a string or a boolean', { field: `filters.${bad[0]}` });
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function sameFilters(a: SavedFilters, b: SavedFilters): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}
