/**
 * The destination's closing accounting (received = imported + skipped + rejected), read from its stdout: it is a
 * TRACE ANALYTICS message named mixpanel_destination_accounting whose value is a JSON object of counts.
 */
import type { Readable } from 'stream';

export type DestinationAccounting = Record<string, number>;

/** Watches `stdout` line by line; `get()` returns the last accounting seen (undefined until one arrives). */
export function watchDestinationAccounting(stdout: Readable): { get(): DestinationAccounting | undefined } {
  let accounting: DestinationAccounting | undefined;
  let rest = '';
  stdout.setEncoding('utf8');
  stdout.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line.includes('mixpanel_destination_accounting')) accounting = JSON.parse(JSON.parse(line).trace.analytics.value);
    }
  });
  return { get: () => accounting };
}
