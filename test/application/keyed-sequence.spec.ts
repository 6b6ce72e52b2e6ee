import { KeyedSequence, PredecessorFailedError } from '../../src/application/process-managers/keyed-sequence';
import { conflict } from '../../src/domain/shared/domain-error';

/** Ordering for a process manager handed several events at once. */
describe('KeyedSequence', () => {
  const gate = () => {
    let open!: () => void;
    let fail!: (error: Error) => void;
    const promise = new Promise<void>((resolve, reject) => {
      open = resolve;
      fail = reject;
    });
    return { promise, open, fail };
  };

  it('runs tasks on one key in the order they were started and tasks on other keys meanwhile', async () => {
    const sequence = new KeyedSequence();
    const log: string[] = [];
    const first = gate();
    const a1 = sequence.run(['a'], async () => {
      await first.promise;
      log.push('a1');
    });
    const a2 = sequence.run(['a'], async () => void log.push('a2'));
    const b1 = sequence.run(['b'], async () => void log.push('b1'));
    await b1;
    expect(log).toEqual(['b1']);
    first.open();
    await Promise.all([a1, a2]);
    expect(log).toEqual(['b1', 'a1', 'a2']);
    expect(sequence.size).toBe(0);
  });

  it('a task alone waits for everything started before it, and everything started after it waits for it', async () => {
    const sequence = new KeyedSequence();
    const log: string[] = [];
    const slow = gate();
    const a = sequence.run(['a'], async () => {
      await slow.promise;
      log.push('a');
    });
    const alone = sequence.alone(async () => void log.push('alone'));
    const b = sequence.run(['b'], async () => void log.push('b'));
    await Promise.resolve();
    expect(log).toEqual([]);
    slow.open();
    await Promise.all([a, alone, b]);
    expect(log).toEqual(['a', 'alone', 'b']);
  });

  it('a failure fails the pending tasks after it on its key (and a task alone); a rule refusal does not; later starts run again', async () => {
    const sequence = new KeyedSequence();
    const failing = gate();
    const refused = sequence.run(['r'], async () => {
      throw conflict('x', 'refused');
    });
    const afterRefused = sequence.run(['r'], async () => 'ran');
    const a1 = sequence.run(['a'], () => failing.promise);
    const a2 = sequence.run(['a'], async () => 'ran');
    const b = sequence.run(['b'], async () => 'ran');
    const alone = sequence.alone(async () => 'ran');
    failing.fail(new Error('storage busy'));
    await expect(refused).rejects.toThrow('refused');
    await expect(afterRefused).resolves.toBe('ran');
    await expect(a1).rejects.toThrow('storage busy');
    await expect(a2).rejects.toBeInstanceOf(PredecessorFailedError);
    await expect(b).resolves.toBe('ran');
    await expect(alone).rejects.toBeInstanceOf(PredecessorFailedError);
    // Handed again one at a time, as the runner does: nothing pending holds them back.
    await new Promise((resolve) => setImmediate(resolve));
    await expect(sequence.run(['a'], async () => 'again')).resolves.toBe('again');
  });
});
