/** Where process managers keep how far they have read the event log (the read store's database). */
export const PROCESSOR_CHECKPOINTS = Symbol('PROCESSOR_CHECKPOINTS');

export interface ProcessorCheckpoints {
  getProcessorCheckpoint(name: string): number | Promise<number>;
  saveProcessorCheckpoint(name: string, position: number): void | Promise<void>;
}
