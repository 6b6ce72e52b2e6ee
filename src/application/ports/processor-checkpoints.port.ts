/** Where process managers keep how far they have read the event log (the read store's database). */
export const PROCESSOR_CHECKPOINTS = Symbol('PROCESSOR_CHECKPOINTS');

export interface ProcessorCheckpoints {
  getProcessorCheckpoint(name: string): number | Promise<number>;
  saveProcessorCheckpoint(name: string, position: number): void | Promise<void>;
  /** Several managers' checkpoints at once (one transaction where the store has them); else saved one by one. */
  saveProcessorCheckpoints?(entries: ReadonlyArray<readonly [name: string, position: number]>): void | Promise<void>;
}
