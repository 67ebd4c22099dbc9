import { StateSequencer } from '../src/accounting/state-sequencer';
import type { AirbyteStateMessage } from '../../connector-kit/protocol';

const st = (n: number): AirbyteStateMessage => ({ type: 'LEGACY', data: { n } });

function harness() {
  const emitted: Array<{ n: unknown; recordCount: number; rejectedRecordCount: number }> = [];
  const seq = new StateSequencer((state, stats) => {
    emitted.push({ n: state.data?.n, ...stats });
  });
  return { seq, emitted };
}

describe('StateSequencer', () => {
  test('a state with no records before it is released at once; a state waits for its barrier batch', async () => {
    const { seq, emitted } = harness();
    seq.stateReceived(st(0), 0);
    seq.recordReceived();
    seq.recordReceived();
    seq.recordsPending(seq.interval, 2);
    seq.stateReceived(st(1), 1);
    await seq.flushed();
    expect(emitted.map((e) => e.n)).toEqual([0]);
    seq.batchCompleted(1, new Map([[1, 2]]), new Map());
    await seq.flushed();
    expect(emitted).toEqual([
      { n: 0, recordCount: 0, rejectedRecordCount: 0 },
      { n: 1, recordCount: 2, rejectedRecordCount: 0 },
    ]);
  });

  test('batches completing out of order release states only in input order', async () => {
    const { seq, emitted } = harness();
    // interval 0: batch 1; state A; interval 1: batch 2; state B; interval 2: batch 3; state C
    for (let b = 1; b <= 3; b++) {
      const interval = seq.interval;
      seq.recordReceived();
      seq.recordsPending(interval, 1);
      seq.stateReceived(st(b), b);
    }
    seq.batchCompleted(3, new Map([[2, 1]]), new Map([[2, 1]]));
    seq.batchCompleted(2, new Map([[1, 1]]), new Map());
    await seq.flushed();
    expect(emitted).toEqual([]);
    seq.batchCompleted(1, new Map([[0, 1]]), new Map());
    await seq.flushed();
    expect(emitted).toEqual([
      { n: 1, recordCount: 1, rejectedRecordCount: 0 },
      { n: 2, recordCount: 1, rejectedRecordCount: 0 },
      { n: 3, recordCount: 1, rejectedRecordCount: 1 },
    ]);
  });

  test('a batch spanning two intervals attributes rejections to the right state; local rejections count too', async () => {
    const { seq, emitted } = harness();
    seq.recordReceived();
    seq.recordReceived();
    seq.recordRejected(); // rejected locally in interval 0
    seq.stateReceived(st(1), 1); // waits for batch 1 (open, holding 1 record of interval 0)
    seq.recordReceived();
    seq.stateReceived(st(2), 1); // batch 1 also holds this interval-1 record
    seq.recordsPending(0, 1);
    seq.recordsPending(1, 1);
    seq.batchCompleted(1, new Map([[0, 1], [1, 1]]), new Map([[1, 1]]));
    await seq.flushed();
    expect(emitted).toEqual([
      { n: 1, recordCount: 2, rejectedRecordCount: 1 },
      { n: 2, recordCount: 1, rejectedRecordCount: 1 },
    ]);
  });

  test('after halt nothing more is released', async () => {
    const { seq, emitted } = harness();
    seq.recordReceived();
    seq.recordsPending(0, 1);
    seq.stateReceived(st(1), 1);
    seq.halt();
    seq.batchCompleted(1, new Map([[0, 1]]), new Map());
    await seq.flushed();
    expect(emitted).toEqual([]);
    expect(seq.statesWaiting).toBe(1);
  });

  test('waits for slow output (backpressure) while keeping order', async () => {
    const order: number[] = [];
    const seq = new StateSequencer(async (state) => {
      await new Promise((r) => setTimeout(r, state.data?.n === 1 ? 30 : 1));
      order.push(state.data?.n as number);
    });
    seq.stateReceived(st(1), 0);
    seq.stateReceived(st(2), 0);
    seq.stateReceived(st(3), 0);
    await seq.flushed();
    expect(order).toEqual([1, 2, 3]);
  });
});
