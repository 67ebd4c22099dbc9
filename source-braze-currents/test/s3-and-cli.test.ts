/**
 * S3 through a real S3-compatible server (s3rver on 127.0.0.1, random port) and the CLI end to end
 * (bin/source-braze-currents, compiled dist/), every stdout line validated against the Airbyte protocol YAML.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fs from 'fs';
import net from 'net';
import path from 'path';
import type { AddressInfo } from 'net';
import type { JsonObject } from '../../connector-kit/protocol';
import { parseAirbyteOutput, protocolYamlAvailable } from '../../test-support/protocol-validator';
import { runCli, writeTempJson } from '../../test-support/run-cli';
import { BrazeCurrentsSource } from '../src/source';
import { S3Storage } from '../src/storage/s3';
import { LocalStorage } from '../src/storage/local';
import { CollectingOutput } from './support/collect';
import { startCuttingProxy } from './support/cutting-proxy';
import { runCutDownloadScenario } from './support/cut-download-scenario';
import { brazeKey, describeWithSamples, makeTempDir, placeFile, sampleAvro } from './support/samples';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const S3rver = require('s3rver');

const BUCKET = 'braze-bucket';
const OPEN = 'users.messages.email.Open';
const CLICK = 'users.messages.email.Click';
// s3rver's built-in account; it verifies signatures, so wrong keys are really rejected.
const GOOD_KEY = { aws_access_key_id: 'S3RVER', aws_secret_access_key: 'S3RVER' };
const WRONG_SECRET = 'wrong-secret-do-not-print-7f3a9';

const source = new BrazeCurrentsSource();

describeWithSamples('S3 storage against s3rver, and the CLI', () => {
  let server: { run(): Promise<AddressInfo>; close(): Promise<void> };
  let endpoint: string;
  let localMirror: string;
  const keys = [
    brazeKey(OPEN, '2024-05-01-10', 1),
    brazeKey(OPEN, '2024-05-01-13', 2),
    brazeKey(CLICK, '2024-05-01-13', 1),
  ];

  const s3Config = (over: Record<string, unknown> = {}, credentials: Record<string, unknown> = { auth_type: 'access_key', ...GOOD_KEY }): JsonObject => ({
    storage: { type: 's3', bucket: BUCKET, region: 'us-east-1', endpoint, force_path_style: true, credentials, ...over },
    prefix: 'currents',
    lookback_hours: 48,
  });

  beforeAll(async () => {
    server = new S3rver({ address: '127.0.0.1', port: 0, silent: !process.env.S3RVER_VERBOSE, directory: makeTempDir('s3rver'), configureBuckets: [{ name: BUCKET }] });
    const address = await server.run();
    endpoint = `http://127.0.0.1:${address.port}`;
    const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    localMirror = makeTempDir('mirror');
    const upload = async (key: string, body: Buffer) => {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
      placeFile(localMirror, key, body);
    };
    await upload(keys[0], fs.readFileSync(sampleAvro(OPEN)));
    await upload(keys[1], fs.readFileSync(sampleAvro(OPEN)));
    await upload(keys[2], fs.readFileSync(sampleAvro(CLICK)));
    await upload(`currents/${'dataexport.prod-01.S3.integration.abc'}/event_type=${OPEN}/date=2024-05-01-13/1/0/_SUCCESS`, Buffer.from(''));
    client.destroy();
  });

  afterAll(async () => {
    await server?.close();
  });

  test('S3 listing matches local listing, including StartAfter', async () => {
    const s3 = new S3Storage(s3Config().storage as never);
    const local = new LocalStorage(localMirror);
    const collect = async (storage: S3Storage | LocalStorage, prefix: string, startAfter?: string) => {
      const out: string[] = [];
      for await (const o of storage.listObjects(prefix, startAfter)) out.push(o.key);
      return out;
    };
    expect(await collect(s3, 'currents/')).toEqual(await collect(local, 'currents/'));
    const folder = `currents/dataexport.prod-01.S3.integration.abc/event_type=${OPEN}/`;
    const after = `${folder}date=2024-05-01-13`;
    expect(await collect(s3, folder, after)).toEqual(await collect(local, folder, after));
    expect(await collect(s3, folder, after)).toHaveLength(2); // the 13h file and _SUCCESS
    expect(await s3.listChildren('currents/dataexport.prod-01.S3.integration.abc/')).toEqual({
      prefixes: [`currents/dataexport.prod-01.S3.integration.abc/event_type=${CLICK}/`, `currents/dataexport.prod-01.S3.integration.abc/event_type=${OPEN}/`],
      objects: [],
    });
  });

  test('check succeeds with good credentials', async () => {
    const status = await source.check(s3Config(), new CollectingOutput().log);
    expect(status.status).toBe('SUCCEEDED');
    expect(status.message).toMatch(/Found 2 event type\(s\) under s3:\/\/braze-bucket\/currents\//);
  });

  test('check fails for a missing bucket, an unknown key id and an empty prefix, saying what to fix', async () => {
    const log = new CollectingOutput().log;
    const noBucket = await source.check(s3Config({ bucket: 'no-such-bucket' }), log);
    expect(noBucket).toEqual({ status: 'FAILED', message: expect.stringMatching(/Bucket "no-such-bucket" does not exist.*storage.bucket/) });
    // s3rver checks the access key id but not the signature, so a wrong secret cannot be provoked here;
    // SignatureDoesNotMatch is covered by the error-mapping unit test.
    const badKey = await source.check(s3Config({}, { auth_type: 'access_key', aws_access_key_id: 'NOBODY', aws_secret_access_key: WRONG_SECRET }), log);
    expect(badKey.status).toBe('FAILED');
    expect(badKey.message).toMatch(/access key id was not recognised.*aws_access_key_id/);
    const empty = await source.check({ ...s3Config(), prefix: 'elsewhere' }, log);
    expect(empty.status).toBe('FAILED');
    expect(empty.message).toMatch(/Nothing was found under s3:\/\/braze-bucket\/elsewhere\/.*elsewhere\/dataexport/);
  });

  test('an unreachable endpoint is a transient error', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const cfg = s3Config({ endpoint: `http://127.0.0.1:${port}` });
    const err = await source.read(cfg, { streams: [] }, new Map(), new CollectingOutput()).catch((e) => e);
    expect(err.failureType).toBe('transient_error');
    expect(err.message).toMatch(/braze-bucket/);
  });

  test('incremental read from S3: records, per-file state, then nothing on the second run', async () => {
    const cfg = s3Config();
    const discovered = await source.discover(cfg, new CollectingOutput().log);
    const catalog = {
      streams: ['users_messages_email_open', 'users_messages_email_click'].map((n) => ({
        stream: discovered.streams.find((s) => s.name === n)!, sync_mode: 'incremental' as const, destination_sync_mode: 'append' as const,
      })),
    };
    const first = new CollectingOutput();
    await source.read(cfg, catalog, new Map(), first);
    expect(first.records().map((r) => r._source_key)).toEqual(keys);
    expect(first.warnings().some((w) => w.includes('_SUCCESS'))).toBe(true);
    const second = new CollectingOutput();
    await source.read(cfg, catalog, new Map([
      ['users_messages_email_open', first.lastState('users_messages_email_open')!],
      ['users_messages_email_click', first.lastState('users_messages_email_click')!],
    ]), second);
    expect(second.records()).toHaveLength(0);
  });

  const cliDescribe = fs.existsSync(path.resolve(__dirname, '../../dist/source-braze-currents/src/main.js')) && protocolYamlAvailable() ? describe : describe.skip;
  if (cliDescribe === describe.skip) console.warn('Skipping CLI tests: build dist/ first (npm test does) and provide the protocol YAML.');

  cliDescribe('CLI (bin/source-braze-currents)', () => {
    test('spec, check, discover, read and a second read with state; every line is a valid AirbyteMessage', async () => {
      const dir = makeTempDir('cli');
      const config = writeTempJson('config.json', s3Config(), dir);

      const spec = parseAirbyteOutput((await runCli('source-braze-currents', ['spec'])).stdout);
      expect(spec[0].type).toBe('SPEC');
      expect(spec[0].spec.connectionSpecification.properties.storage.oneOf.map((o: { properties: { type: { const: string } } }) => o.properties.type.const)).toEqual(['s3', 'gcs', 'azure', 'local']);

      const check = await runCli('source-braze-currents', ['check', '--config', config]);
      expect(check.code).toBe(0);
      expect(parseAirbyteOutput(check.stdout).find((m) => m.type === 'CONNECTION_STATUS')!.connectionStatus.status).toBe('SUCCEEDED');

      const discover = await runCli('source-braze-currents', ['discover', '--config', config]);
      expect(discover.code).toBe(0);
      const catalogMsg = parseAirbyteOutput(discover.stdout).find((m) => m.type === 'CATALOG')!;
      expect(catalogMsg.catalog.streams).toHaveLength(100);
      const pick = (n: string) => ({ stream: catalogMsg.catalog.streams.find((s: { name: string }) => s.name === n), sync_mode: 'incremental', destination_sync_mode: 'append' });
      const catalog = writeTempJson('catalog.json', { streams: [pick('users_messages_email_open'), pick('users_messages_email_click'), pick('users_behaviors_purchase')] }, dir);

      const read = await runCli('source-braze-currents', ['read', '--config', config, '--catalog', catalog]);
      expect(read.stderr).not.toMatch(/Unexpected error/);
      expect(read.code).toBe(0);
      const messages = parseAirbyteOutput(read.stdout);
      const records = messages.filter((m) => m.type === 'RECORD');
      expect(records.map((m) => m.record.data._source_key)).toEqual(keys);
      const states = messages.filter((m) => m.type === 'STATE');
      expect(states.map((m) => m.state.stream.stream_descriptor.name)).toEqual(['users_messages_email_open', 'users_messages_email_open', 'users_messages_email_click', 'users_behaviors_purchase']);
      expect(states.map((m) => m.state.sourceStats.recordCount)).toEqual([1, 1, 1, 0]);
      for (const name of ['users_messages_email_open', 'users_messages_email_click', 'users_behaviors_purchase']) {
        const statuses = messages.filter((m) => m.type === 'TRACE' && m.trace.type === 'STREAM_STATUS' && m.trace.stream_status.stream_descriptor.name === name).map((m) => m.trace.stream_status.status);
        expect(statuses).toEqual(['STARTED', 'RUNNING', 'COMPLETE']);
      }

      // The per-stream array form of the last states, as Airbyte passes it.
      const lastStates = new Map<string, unknown>();
      for (const m of states) lastStates.set(m.state.stream.stream_descriptor.name, { type: 'STREAM', stream: m.state.stream });
      const state = writeTempJson('state.json', [...lastStates.values()], dir);
      const again = await runCli('source-braze-currents', ['read', '--config', config, '--catalog', catalog, '--state', state]);
      expect(again.code).toBe(0);
      const againMessages = parseAirbyteOutput(again.stdout);
      expect(againMessages.filter((m) => m.type === 'RECORD')).toHaveLength(0);
      expect(againMessages.filter((m) => m.type === 'STATE')).toHaveLength(3);
    });

    test('wrong credentials: check FAILED, read exits non-zero with a config_error; the secret is printed nowhere', async () => {
      const dir = makeTempDir('cli-bad');
      const config = writeTempJson('config.json', s3Config({}, { auth_type: 'access_key', aws_access_key_id: 'NOBODY', aws_secret_access_key: WRONG_SECRET }), dir);
      const check = await runCli('source-braze-currents', ['check', '--config', config]);
      const status = parseAirbyteOutput(check.stdout).find((m) => m.type === 'CONNECTION_STATUS')!;
      expect(status.connectionStatus.status).toBe('FAILED');
      expect(status.connectionStatus.message).toMatch(/aws_access_key_id/);
      const catalog = writeTempJson('catalog.json', { streams: [] }, dir);
      const read = await runCli('source-braze-currents', ['read', '--config', config, '--catalog', catalog]);
      expect(read.code).not.toBe(0);
      const error = parseAirbyteOutput(read.stdout).find((m) => m.type === 'TRACE' && m.trace.type === 'ERROR')!;
      expect(error.trace.error.failure_type).toBe('config_error');
      for (const out of [check.stdout, check.stderr, read.stdout, read.stderr]) expect(out).not.toContain(WRONG_SECRET);
    });

    test('a download cut part-way: transient_error naming the object and bucket; the state before it lets a re-run resume', async () => {
      const proxy = await startCuttingProxy(endpoint);
      try {
        await runCutDownloadScenario({ config: s3Config({ endpoint: proxy.url }), proxy, keys: [keys[0], keys[1], keys[2]], store: `S3 bucket "${BUCKET}"`, secrets: [GOOD_KEY.aws_secret_access_key] });
      } finally {
        await proxy.close();
      }
    });
  });
});
