/** Reads newline-delimited JSON messages from a stream; lines that are not JSON objects are reported and skipped. */
import type { Readable } from 'stream';
import type { Logger } from './logger';

export async function* readJsonLines(input: Readable, log: Logger): AsyncGenerator<Record<string, unknown>> {
  let rest = '';
  let lineNumber = 0;
  input.setEncoding('utf8');
  for await (const chunk of input as AsyncIterable<string>) {
    const text = rest + chunk;
    let start = 0;
    let end: number;
    while ((end = text.indexOf('\n', start)) !== -1) {
      lineNumber++;
      const parsed = parseLine(text.slice(start, end), lineNumber, log);
      if (parsed) yield parsed;
      start = end + 1;
    }
    rest = text.slice(start);
  }
  if (rest.trim()) {
    const parsed = parseLine(rest, ++lineNumber, log);
    if (parsed) yield parsed;
  }
}

function parseLine(line: string, lineNumber: number, log: Logger): Record<string, unknown> | undefined {
  if (!line.trim()) return undefined;
  try {
    const value = JSON.parse(line);
    if (value && typeof value === 'object' && !Array.isArray(value) && typeof value.type === 'string') return value;
    log.warn(`Input line ${lineNumber} is JSON but not a protocol message (no "type"); skipped.`);
  } catch {
    log.warn(`Input line ${lineNumber} is not valid JSON; skipped (starts with ${JSON.stringify(line.slice(0, 60))}).`);
  }
  return undefined;
}
