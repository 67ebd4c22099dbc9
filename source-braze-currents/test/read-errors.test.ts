/**
 * guardDownload (src/storage/read-errors.ts) on plain Node streams: the bytes pass unchanged, failures of the
 * body become ConnectorErrors naming object and store, and a body that stops arriving is failed by the stall
 * watch, but a reader that is merely slow is not.
 */
import fs from 'fs';
import path from 'path';
import { Readable } from 'stream';
import { ConnectorError, configError } from '../../connector-kit/errors';
import { REPO_ROOT, runNodeScript } from '../../test-support/run-cli';
import { guardDownload, type DownloadContext } from '../src/storage/read-errors';
import { makeTempDir } from './support/samples';

const SDK_TEXT = 'GET https://store.example/k?sig=SECRET-SIGNATURE failed';

const ctx: DownloadContext = {
  key: 'currents/x/event_type=t/date=2024-05-01-13/1/0/f+0+2.avro',
  store: 'S3 bucket "exports"',
  describe: (err) => new ConnectorError('described', 'system_error', `S3 reading in bucket "exports" failed: ${(err as NodeJS.ErrnoException).code}`),
  codeOf: (err) => (err as NodeJS.ErrnoException).code ?? 'UnknownError',
};

const networkError = (code: string) => Object.assign(new Error(SDK_TEXT), { code });

/** A body that yields `chunks` when asked, then ends unless `then` says otherwise. */
function body(chunks: Buffer[], then: 'end' | 'hang' = 'end'): Readable {
  let i = 0;
  return new Readable({
    read() {
      if (i < chunks.length) this.push(chunks[i++]);
      else if (then === 'end') this.push(null);
    },
  });
}

async function readAll(stream: Readable): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of stream) out.push(chunk as Buffer);
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the bytes pass unchanged: the same Buffer objects, in order (no copy)', async () => {
  const chunks = [Buffer.from('Obj\x01'), Buffer.alloc(70_000, 7), Buffer.from('tail')];
  const guarded = guardDownload(body(chunks), ctx);
  // 'data' events hand over each chunk as pushed (an async iterator's read() may join buffered ones).
  const seen: Buffer[] = [];
  guarded.on('data', (chunk: Buffer) => seen.push(chunk));
  await new Promise((resolve, reject) => guarded.on('end', resolve).on('error', reject));
  expect(seen).toHaveLength(3);
  seen.forEach((chunk, i) => expect(chunk).toBe(chunks[i]));
});

test('an error of the body becomes a transient_error naming object, store and code, without the SDK text', async () => {
  const source = body([Buffer.alloc(100)], 'hang');
  const guarded = guardDownload(source, ctx);
  setTimeout(() => source.destroy(networkError('ECONNRESET')), 20);
  const err = await readAll(guarded).catch((e) => e);
  expect(err).toBeInstanceOf(ConnectorError);
  expect(err.failureType).toBe('transient_error');
  expect(err.message).toBe(`Reading "${ctx.key}" from S3 bucket "exports" broke off before the whole object arrived (ECONNRESET). `
    + 'This is usually a network or storage-side interruption: the sync can be retried, and incremental streams resume after the last file they finished.');
  expect(err.internalMessage).toBe('S3 reading in bucket "exports" failed: ECONNRESET after 100 bytes');
  expect(`${err.message} ${err.internalMessage}`).not.toContain('SECRET-SIGNATURE');
});

test('a config_error of the describer (e.g. access revoked during the SDK\'s own retry) is passed on as it is', async () => {
  const revoked = configError('Access denied to S3 bucket "exports"; check the credentials.');
  const source = body([], 'hang');
  const guarded = guardDownload(source, { ...ctx, describe: () => revoked });
  source.destroy(Object.assign(new Error(SDK_TEXT), { name: 'AccessDenied' }));
  await expect(readAll(guarded)).rejects.toBe(revoked);
});

test('a body that closes without ending (a premature close) is a transient_error too', async () => {
  const source = body([Buffer.alloc(10)], 'hang');
  const guarded = guardDownload(source, ctx);
  setTimeout(() => source.destroy(), 20);
  const err = await readAll(guarded).catch((e) => e);
  expect(err.failureType).toBe('transient_error');
  expect(err.message).toMatch(/broke off before the whole object arrived \(ERR_STREAM_PREMATURE_CLOSE\)/);
});

test('a failure before the reader starts (a file opened ahead) does not crash; the reader gets it when it starts', async () => {
  const source = body([], 'hang');
  const guarded = guardDownload(source, ctx);
  source.destroy(networkError('ETIMEDOUT'));
  await sleep(20); // an 'error' without a listener would have thrown by now
  await expect(readAll(guarded)).rejects.toMatchObject({ failureType: 'transient_error', message: expect.stringContaining('(ETIMEDOUT)') });
});

test('a body that stops arriving is failed by the stall watch, naming object and store', async () => {
  const started = Date.now();
  const err = await readAll(guardDownload(body([Buffer.alloc(10)], 'hang'), ctx, { stallMs: 200 })).catch((e) => e);
  expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  expect(err.failureType).toBe('transient_error');
  expect(err.message).toMatch(/^Reading "currents\/x\/.*f\+0\+2\.avro" from S3 bucket "exports" stalled: no data arrived for 0\.2 s .*the sync can be retried/);
  expect(err.internalMessage).toMatch(/after 10 bytes/);
});

test('a reader that is slow is not a stall: a body held back by full buffers, or one that arrived whole', async () => {
  const big = Array.from({ length: 64 }, () => Buffer.alloc(16_384, 1)); // far more than the buffers hold
  const heldBack = guardDownload(body(big), ctx, { stallMs: 100 });
  const whole = guardDownload(body([Buffer.alloc(100)]), ctx, { stallMs: 100 });
  await sleep(500); // the reader is busy with another file
  expect((await readAll(heldBack)).reduce((n, c) => n + c.length, 0)).toBe(64 * 16_384);
  expect(await readAll(whole)).toHaveLength(1);
});

test('a reader that lets go of the stream releases the body', async () => {
  const source = body([Buffer.alloc(10)], 'hang');
  const guarded = guardDownload(source, ctx);
  for await (const chunk of guarded) {
    expect(chunk).toHaveLength(10);
    break; // as AvroFileReader.close() does
  }
  await sleep(10);
  expect(source.destroyed).toBe(true);
});

const compiled = path.join(REPO_ROOT, 'dist/source-braze-currents/src/storage/read-errors.js');
(fs.existsSync(compiled) ? test : test.skip)('while a byte is awaited the watch keeps the process alive, so a dead connection nobody reports fails instead of exiting quietly', async () => {
  const script = path.join(makeTempDir('stall-exit'), 'stall.js');
  fs.writeFileSync(script, `
    const { Readable } = require('stream');
    const { guardDownload } = require(${JSON.stringify(compiled)});
    const dead = new Readable({ read() {} }); // like a body whose connection is gone: no handle left, no event to come
    const ctx = { key: 'k', store: 'GCS bucket "b"', describe: (e) => e, codeOf: () => 'X' };
    (async () => {
      try { for await (const c of guardDownload(dead, ctx, { stallMs: 200 })) void c; console.log('ended'); }
      catch (e) { console.log(e.message); }
    })();
  `);
  const run = await runNodeScript(script, [], { timeoutMs: 20_000 });
  expect(run.stdout).toMatch(/^Reading "k" from GCS bucket "b" stalled: no data arrived for 0\.2 s/);
});
