/**
 * Keeps the encoder busy while the main thread delivers: reads blocks ahead and encodes up to `maxAhead` of
 * them at once (in parallel on workers), but yields the results strictly in input order. Results are yielded
 * as soon as they are ready, even while the input is quiet.
 */
import type { InputProtocol } from '../../../connector-kit/input';
import type { EncodedBlock } from './block-encoder';
import type { BlockEncoder } from './encoder-pool';

export async function* encodeInOrder(blocks: AsyncIterable<Uint8Array>, encoder: BlockEncoder, protocol: InputProtocol, maxAhead: number): AsyncGenerator<EncodedBlock> {
  const results: Array<Promise<EncodedBlock>> = [];
  let inputDone = false;
  let inputFailed = false;
  let inputError: unknown;
  let stopped = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const wake = (which: 'consumer' | 'producer') => {
    const resolve = which === 'consumer' ? wakeConsumer : wakeProducer;
    if (which === 'consumer') wakeConsumer = undefined;
    else wakeProducer = undefined;
    resolve?.();
  };

  // The producer: the only reader of `blocks`; it waits while `maxAhead` results are not yet consumed.
  void (async () => {
    for await (const bytes of blocks) {
      while (results.length >= maxAhead && !stopped) await new Promise<void>((resolve) => (wakeProducer = resolve));
      if (stopped) return;
      const encoded = encoder.encode(bytes, protocol);
      encoded.catch(() => undefined); // observed by the consumer in turn; not an unhandled rejection meanwhile
      results.push(encoded);
      wake('consumer');
    }
  })().then(
    () => (inputDone = true),
    (err) => {
      inputFailed = true;
      inputError = err;
    },
  ).finally(() => wake('consumer'));

  try {
    for (;;) {
      if (results.length > 0) {
        const block = await results[0];
        results.shift();
        wake('producer');
        yield block;
      } else if (inputFailed) {
        throw inputError;
      } else if (inputDone) {
        return;
      } else {
        await new Promise<void>((resolve) => (wakeConsumer = resolve));
      }
    }
  } finally {
    stopped = true;
    wake('producer');
  }
}
