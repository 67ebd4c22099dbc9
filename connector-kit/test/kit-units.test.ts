import { PassThrough, Writable } from 'stream';
import { validateConfig } from '../config';
import { ConnectorError } from '../errors';
import { LineWriter } from '../output';
import { collectSecrets, makeRedactor, MASK } from '../redact';
import { parseStateInput } from '../state';
import { parseArgs } from '../args';

const spec = {
  type: 'object',
  required: ['storage'],
  properties: {
    prefix: { type: 'string', default: 'currents' },
    storage: {
      type: 'object',
      oneOf: [
        { title: 'Local', properties: { type: { type: 'string', const: 'local' }, path: { type: 'string', title: 'Folder path' } }, required: ['path'] },
        { title: 'S3', properties: { type: { type: 'string', const: 's3' }, bucket: { type: 'string', title: 'Bucket' }, secret: { type: 'string', airbyte_secret: true }, region: { type: 'string', default: 'us-east-1' } }, required: ['bucket'] },
      ],
    },
  },
};

function configProblem(config: unknown): string {
  try {
    validateConfig(spec, config);
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).failureType).toBe('config_error');
    return (err as Error).message;
  }
  throw new Error('config was accepted');
}

describe('config validation', () => {
  it('applies defaults, including inside the chosen oneOf option', () => {
    const config = validateConfig(spec, { storage: { type: 's3', bucket: 'b' } });
    expect(config).toEqual({ prefix: 'currents', storage: { type: 's3', bucket: 'b', region: 'us-east-1' } });
  });
  it('names a missing field of the chosen option with its title', () => {
    expect(configProblem({ storage: { type: 's3' } })).toBe('Invalid config: config.storage.bucket is required (Bucket).');
  });
  it('lists the options when the discriminator is wrong', () => {
    expect(configProblem({ storage: { type: 'gcsx', path: 'x' } })).toContain('config.storage.type must be one of "local", "s3" (got "gcsx")');
  });
  it('suggests the intended key for a typo, at any depth', () => {
    const message = configProblem({ prefx: 'a', storage: { type: 'local', path: '/x', pth: 1 } });
    expect(message).toContain('config.prefx is not a known setting (did you mean "prefix"?)');
    expect(message).toContain('config.storage.pth is not a known setting (did you mean "path"?)');
  });
  it('accepts the date forms a date-time pattern allows, and rejects other strings', () => {
    const dated = { ...spec, properties: { ...spec.properties, start: { type: 'string', format: 'date-time' } } };
    for (const start of ['2026-01-01', '2026-01-01T00:00:00', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00.123+02:00']) {
      expect(() => validateConfig(dated, { start, storage: { type: 'local', path: '/x' } })).not.toThrow();
    }
    expect(() => validateConfig(dated, { start: 'yesterday', storage: { type: 'local', path: '/x' } })).toThrow('config.start must match format "date-time"');
  });
  it('rejects wrong types and non-objects', () => {
    expect(configProblem({ prefix: 3, storage: { type: 'local', path: '/x' } })).toContain('config.prefix must be of type string');
    expect(configProblem([1])).toBe('The config must be a JSON object.');
  });
});

describe('state input', () => {
  it('reads the per-stream array form, skipping reset streams', () => {
    const states = parseStateInput([
      { type: 'STREAM', stream: { stream_descriptor: { name: 'a' }, stream_state: { w: 1 } } },
      { type: 'STREAM', stream: { stream_descriptor: { name: 'b' }, stream_state: null } },
    ]);
    expect([...states]).toEqual([['a', { w: 1 }]]);
  });
  it('reads the legacy object, LEGACY message, GLOBAL and Singer bookmarks forms', () => {
    expect([...parseStateInput({ a: { w: 2 } })]).toEqual([['a', { w: 2 }]]);
    expect([...parseStateInput({ type: 'LEGACY', data: { a: { w: 3 } } })]).toEqual([['a', { w: 3 }]]);
    expect([...parseStateInput({ bookmarks: { a: { w: 4 } } })]).toEqual([['a', { w: 4 }]]);
    expect([...parseStateInput([{ type: 'GLOBAL', global: { stream_states: [{ stream_descriptor: { name: 'g' }, stream_state: { w: 5 } }] } }])]).toEqual([['g', { w: 5 }]]);
  });
  it('rejects garbage with a config error', () => {
    expect(() => parseStateInput(['x'])).toThrow('state[0] is not a state message object.');
    expect(() => parseStateInput(42)).toThrow(ConnectorError);
  });
});

describe('redaction', () => {
  it('collects secrets from the chosen oneOf option and masks raw and JSON-escaped forms', () => {
    const secret = 'p"ss\\word-42';
    const secrets = collectSecrets(spec as never, { storage: { type: 's3', bucket: 'bucket-name', secret } });
    expect([...secrets]).toEqual([secret]);
    const redact = makeRedactor(secrets);
    expect(redact(`raw ${secret} json ${JSON.stringify({ s: secret })}`)).toBe(`raw ${MASK} json {"s":"${MASK}"}`);
    expect(redact('bucket-name stays')).toBe('bucket-name stays');
  });
});

describe('argument parsing', () => {
  it('tells Airbyte verbs from Singer flags', () => {
    expect(parseArgs(['read', '--config', 'c.json', '--catalog=k.json'], 'singer')).toEqual({ protocol: 'airbyte', verb: 'read', flags: { config: 'c.json', catalog: 'k.json' } });
    expect(parseArgs(['--config', 'c.json', '--discover'], 'singer')).toEqual({ protocol: 'singer', verb: undefined, flags: { config: 'c.json', discover: true } });
  });
  it('explains unknown commands and missing values', () => {
    expect(() => parseArgs(['reed'], 'airbyte')).toThrow('Unknown command "reed"');
    expect(() => parseArgs(['read', '--config'], 'airbyte')).toThrow('--config needs a value');
    expect(() => parseArgs(['--confg', 'x'], 'airbyte')).toThrow('Unknown option --confg.');
  });
});

describe('LineWriter backpressure', () => {
  it('makes the producer wait while the stream is full, and resumes on drain', async () => {
    const written: string[] = [];
    let release: (() => void) | undefined;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk, _enc, callback) {
        written.push(chunk.toString());
        release = callback; // hold the stream full until the test releases it
      },
    });
    const writer = new LineWriter(slow, (t) => t);
    const line = 'x'.repeat(1000);
    let waited: Promise<void> | void;
    let i = 0;
    while (!(waited = writer.writeLine(line)) && i < 1000) i++;
    expect(waited).toBeInstanceOf(Promise);
    let resolved = false;
    void (waited as Promise<void>).then(() => (resolved = true));
    await new Promise((r) => setImmediate(r));
    expect(resolved).toBe(false);
    release!();
    await waited;
    expect(resolved).toBe(true);
    expect(written[0].split('\n').length - 1).toBe(i + 1);
  });
  it('writes a lone line once the event loop turns, without waiting for a full chunk', async () => {
    const sink = new PassThrough();
    const chunks: string[] = [];
    sink.on('data', (d) => chunks.push(d.toString()));
    const writer = new LineWriter(sink, (t) => t);
    void writer.writeLine('{"type":"STATE"}');
    expect(chunks).toEqual([]);
    await new Promise((r) => setTimeout(r, 20));
    expect(chunks.join('')).toBe('{"type":"STATE"}\n');
  });
  it('redacts whole chunks and ends every line with a newline', async () => {
    const sink = new PassThrough();
    const chunks: string[] = [];
    sink.on('data', (d) => chunks.push(d.toString()));
    const writer = new LineWriter(sink, makeRedactor(['topsecret']));
    void writer.writeLine('a topsecret');
    void writer.writeLine('b');
    await writer.close();
    expect(chunks.join('')).toBe(`a ${MASK}\nb\n`);
  });  it('keeps call order between queued lines and byte writes that are not awaited', async () => {
    const written: string[] = [];
    const sink = new Writable({
      highWaterMark: 4,
      write(chunk, _enc, callback) {
        written.push(chunk.toString());
        setTimeout(callback, 2); // a slow reader: several writes are in flight at once
      },
    });
    const writer = new LineWriter(sink, (t) => t);
    writer.mustRedact = false;
    void writer.writeLine('state 0');
    const first = writer.writeBytes(Buffer.from('record 1\nrecord 2\n'));
    void writer.writeLine('state 1');
    const second = writer.writeBytes(Buffer.from('record 3\n'));
    void writer.writeLine('state 2');
    let firstDone = false;
    void first.then(() => (firstDone = true));
    expect(firstDone).toBe(false);
    await Promise.all([first, second]);
    await writer.close();
    expect(written.join('')).toBe('state 0\nrecord 1\nrecord 2\nstate 1\nrecord 3\nstate 2\n');
  });
});
