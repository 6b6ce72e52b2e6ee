import { SingleBar } from 'cli-progress';
import type { RebuildProgress } from '../infrastructure/read-store/read-model-rebuild';

export interface ProgressReporter {
  /** How often to report: a bar redraws smoothly, plain lines stay few. */
  readonly intervalMs: number;
  update(progress: RebuildProgress): void;
  /** The bar is drawn at its final value and left on screen; plain output leaves it to the summary line. */
  finish(progress: RebuildProgress): void;
  stop(): void;
}

/**
 * A progress bar with events/s and ETA on a terminal; on a pipe or a log file, one plain line per
 * update instead (a bar's carriage returns would turn into noise there).
 */
export function progressReporter(stream: NodeJS.WriteStream, label: string): ProgressReporter {
  if (stream.isTTY) {
    const bar = new SingleBar({
      stream,
      format: `${label} [{bar}] {percentage}% | {value}/{total} events | {rate} events/s | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
    });
    let running = false;
    return {
      intervalMs: 200,
      update({ applied, total, elapsedMs }) {
        if (!running) bar.start(total, 0, { rate: 0 });
        running = true;
        bar.setTotal(total);
        bar.update(applied, { rate: rate(applied, elapsedMs) });
      },
      finish(progress) {
        this.update(progress);
        this.stop();
      },
      stop() {
        if (running) bar.stop();
        running = false;
      },
    };
  }
  return {
    intervalMs: 1000,
    update({ applied, total, elapsedMs }) {
      const perSecond = rate(applied, elapsedMs);
      const eta = perSecond > 0 ? `${Math.ceil((total - applied) / perSecond)}s` : '?';
      const percent = total === 0 ? 100 : Math.floor((applied / total) * 100);
      stream.write(`${label}: ${applied}/${total} events (${percent}%), ${perSecond} events/s, ETA ${eta}\n`);
    },
    finish() {},
    stop() {},
  };
}

export function rate(events: number, elapsedMs: number): number {
  return elapsedMs > 0 ? Math.round((events * 1000) / elapsedMs) : 0;
}
