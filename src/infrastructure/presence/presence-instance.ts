import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * This app's id among the instances sharing the presence store: the host and process (for whoever
 * reads the store) and a random part (two apps in one process, as the tests start, differ).
 */
export function presenceInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}
