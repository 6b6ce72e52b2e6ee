/**
 * A custom view: a saved filter of one inbox, shared by its team (docs/design.md "Custom views").
 * The filters are kept exactly as the application validated them
 * (the query-string names of `GET /api/conversations`); the domain treats them as opaque data.
 */
export type SavedFilters = Readonly<Record<string, string | boolean>>;

export type CustomViewEvent = CustomViewCreated | CustomViewUpdated | CustomViewDeleted;

export interface CustomViewCreated {
  type: 'CustomViewCreated';
  data: { viewId: string; inboxId: string; name: string; filters: SavedFilters; createdBy: string };
}

/** Only what changed is present. `filters` replaces the saved filters as a whole. */
export interface CustomViewUpdated {
  type: 'CustomViewUpdated';
  data: { name?: string; filters?: SavedFilters };
}

export interface CustomViewDeleted {
  type: 'CustomViewDeleted';
  data: Record<string, never>;
}

export type CustomViewCommand = CreateCustomView | UpdateCustomView | DeleteCustomView;

export interface CreateCustomView {
  type: 'CreateCustomView';
  data: { viewId: string; inboxId: string; name: string; filters: SavedFilters; createdBy: string };
}

export interface UpdateCustomView {
  type: 'UpdateCustomView';
  data: { name?: string; filters?: SavedFilters };
}

export interface DeleteCustomView {
  type: 'DeleteCustomView';
  data: Record<string, never>;
}
