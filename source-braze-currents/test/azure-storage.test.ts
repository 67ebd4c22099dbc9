/**
 * Azure Blob storage against Azure's own emulator (azurite, from npm, started here on 127.0.0.1 with a random
 * port and an account whose key this test generates), then the CLI end to end.
 */
import { ContainerClient, ContainerSASPermissions, StorageSharedKeyCredential, generateBlobSASQueryParameters } from '@azure/storage-blob';
import type { ChildProcess } from 'child_process';
import crypto from 'crypto';
import net from 'net';
import path from 'path';
import type { AddressInfo } from 'net';
import type { JsonObject } from '../../connector-kit/protocol';
import { startAzurite as startSharedAzurite } from '../../test-support/azurite';
import { BrazeCurrentsSource } from '../src/source';
import { AzureStorage } from '../src/storage/azure';
import { LocalStorage } from '../src/storage/local';
import { CLICK, INITIAL_KEYS, OPEN, cliAvailable, expectCliConfigError, runCliScenario, sampleBody } from './azure-and-gcs-cli-scenario';
import { startCuttingProxy } from './support/cutting-proxy';
import { runCutDownloadScenario } from './support/cut-download-scenario';
import { INTEGRATION_DIR, describeWithSamples, makeTempDir, placeFile } from './support/samples';
import { keysOf, silentLog } from './support/storage-helpers';

const ACCOUNT = 'brazetest';
const ACCOUNT_KEY = crypto.randomBytes(64).toString('base64');
const WRONG_KEY = crypto.randomBytes(64).toString('base64');
const CONTAINER = 'braze-currents';

/** azurite-blob on a random loopback port with this test's account. */
const startAzurite = () => startSharedAzurite(ACCOUNT, ACCOUNT_KEY, makeTempDir('azurite'));

const source = new BrazeCurrentsSource();

describeWithSamples('Azure Blob storage against azurite, and the CLI', () => {
  let azurite: ChildProcess;
  let blobEndpoint: string; // http://127.0.0.1:PORT/ACCOUNT
  let connectionString: string;
  let sasToken: string;
  let readOnlySas: string;
  let container: ContainerClient;
  const mirror = makeTempDir('azure-mirror');
  const typeFolder = (type: string) => `currents/${INTEGRATION_DIR}/event_type=${type}/`;

  const connectionStringWith = (key: string) => `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${key};BlobEndpoint=${blobEndpoint};`;
  const azureConfig = (storage: Record<string, unknown> = {}): JsonObject => ({
    storage: { type: 'azure', container: CONTAINER, credentials: { auth_type: 'connection_string', connection_string: connectionString }, ...storage },
    prefix: 'currents',
    lookback_hours: 48,
  });
  const sasConfig = (token: string, containerName = CONTAINER): JsonObject =>
    azureConfig({ container: containerName, credentials: { auth_type: 'sas', account_url: blobEndpoint, sas_token: token } });
  const sasFor = (containerName: string, permissions = 'rl') => generateBlobSASQueryParameters({
    containerName, permissions: ContainerSASPermissions.parse(permissions), expiresOn: new Date(Date.now() + 3600_000),
  }, new StorageSharedKeyCredential(ACCOUNT, ACCOUNT_KEY)).toString();
  const upload = async (key: string, body: Buffer) => {
    await container.getBlockBlobClient(key).uploadData(body);
    placeFile(mirror, key, body);
  };

  beforeAll(async () => {
    const started = await startAzurite();
    azurite = started.child;
    blobEndpoint = `${started.url}/${ACCOUNT}`;
    connectionString = connectionStringWith(ACCOUNT_KEY);
    container = new ContainerClient(connectionString, CONTAINER);
    await container.create();
    sasToken = sasFor(CONTAINER);
    readOnlySas = sasFor(CONTAINER, 'r');
    for (const key of INITIAL_KEYS) await upload(key, sampleBody(key));
    // More hours (some before any startAfter used below), and a marker file Braze-like trees may carry.
    for (const hour of ['2024-04-28-23', '2024-05-01-09', '2024-05-02-00']) await upload(`${typeFolder(OPEN)}date=${hour}/1/0/${INTEGRATION_DIR}+0+9.avro`, sampleBody(OPEN));
    await upload(`${typeFolder(OPEN)}date=2024-05-01-13/1/0/_SUCCESS`, Buffer.from('ok'));
  }, 60_000);

  afterAll(async () => {
    if (azurite && azurite.exitCode === null) {
      const exited = new Promise((resolve) => azurite.once('exit', resolve));
      azurite.kill('SIGTERM');
      await exited;
    }
  });

  test('listing matches a local mirror: recursive, from a key (the Azure stand-in for StartAfter), and one level', async () => {
    const azure = new AzureStorage(azureConfig().storage as never);
    const local = new LocalStorage(mirror);
    expect(await keysOf(azure, 'currents/')).toEqual(await keysOf(local, 'currents/'));
    const folder = typeFolder(OPEN);
    for (const after of [`${folder}date=2024-05-01-13`, `${folder}date=2024-05-01-10`, `${folder}date=2024-05-01-13/1/0/${INTEGRATION_DIR}+0+2.avro`, `${folder}date=2030`, 'a', 'zzz']) {
      expect([after, await keysOf(azure, folder, after)]).toEqual([after, await keysOf(local, folder, after)]);
    }
    // Byte order, as S3 sorts: `_` (0x5F) before `d`.
    expect(await keysOf(azure, folder, `${folder}date=2024-05-01-13`)).toEqual([
      `${folder}date=2024-05-01-13/1/0/_SUCCESS`,
      `${folder}date=2024-05-01-13/1/0/${INTEGRATION_DIR}+0+2.avro`,
      `${folder}date=2024-05-02-00/1/0/${INTEGRATION_DIR}+0+9.avro`,
    ]);
    expect(await azure.listChildren(`currents/${INTEGRATION_DIR}/`)).toEqual({ prefixes: [typeFolder(CLICK), typeFolder(OPEN)], objects: [] });
    const [first] = await keysOf(azure, folder);
    const body: Buffer[] = [];
    for await (const chunk of await azure.open(first)) body.push(chunk as Buffer);
    expect(Buffer.concat(body).equals(sampleBody(OPEN))).toBe(true);
    expect(azure.location).toBe(`${blobEndpoint}/${CONTAINER}`);
  });

  test('check succeeds with a connection string and with an account URL + SAS token', async () => {
    for (const config of [azureConfig(), sasConfig(sasToken), sasConfig(`?${sasToken}`)]) {
      const status = await source.check(config, silentLog);
      expect(status).toEqual({ status: 'SUCCEEDED', message: expect.stringContaining(`Found 2 event type(s) under ${blobEndpoint}/${CONTAINER}/currents/`) });
    }
  });

  test('check fails saying what to fix: missing container, wrong account key, SAS without List, bad connection string', async () => {
    const noContainer = await source.check(azureConfig({ container: 'no-such-container' }), silentLog);
    expect(noContainer).toEqual({ status: 'FAILED', message: expect.stringMatching(/Container "no-such-container" does not exist.*storage\.container/) });
    const wrongKey = await source.check(azureConfig({ credentials: { auth_type: 'connection_string', connection_string: connectionStringWith(WRONG_KEY) } }), silentLog);
    expect(wrongKey).toEqual({ status: 'FAILED', message: expect.stringMatching(/Azure rejected the credentials.*storage\.credentials\.connection_string/) });
    const noList = await source.check(sasConfig(readOnlySas), silentLog);
    expect(noList).toEqual({ status: 'FAILED', message: expect.stringMatching(/Access denied.*SAS token needs List and Read permissions.*sas_token/) });
    // A malformed connection string is refused before any request (the CLI test below shows the user's view).
    const garbled = await source.check(azureConfig({ credentials: { auth_type: 'connection_string', connection_string: `AccountKey=${WRONG_KEY}` } }), silentLog).catch((e) => e);
    expect(garbled).toMatchObject({ failureType: 'config_error', message: expect.stringMatching(/connection_string is not a valid Azure Storage connection string/) });
    for (const s of [noContainer, wrongKey, noList, garbled]) {
      for (const secret of [ACCOUNT_KEY, WRONG_KEY, readOnlySas]) expect(s.message).not.toContain(secret);
    }
  });

  test('an unreachable endpoint is a transient error', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const config = sasConfig(sasToken);
    (config.storage as JsonObject).credentials = { auth_type: 'sas', account_url: `http://127.0.0.1:${port}/${ACCOUNT}`, sas_token: sasToken };
    const err = await source.read(config, { streams: [] }, new Map(), { record() {}, state() {}, streamStatus() {}, log: silentLog } as never).catch((e) => e);
    expect(err.failureType).toBe('transient_error');
    expect(err.message).toMatch(/Azure container "braze-currents"/);
    expect(err.message).not.toContain(sasToken);
  }, 60_000);

  const cliDescribe = cliAvailable() ? describe : describe.skip;
  if (!cliAvailable()) console.warn('Skipping Azure CLI tests: build dist/ first (npm test does) and provide the protocol YAML.');

  cliDescribe('CLI (bin/source-braze-currents) with storage.type azure', () => {
    test('check, discover, read, a second read with state (nothing), a late file picked up; no secret in any output', async () => {
      // A fresh container so the extra hours above do not matter; SAS auth, as many Braze customers set it up.
      const fresh = new ContainerClient(connectionString, 'braze-cli');
      await fresh.create();
      const sas = sasFor('braze-cli');
      const put = (key: string, body: Buffer) => fresh.getBlockBlobClient(key).uploadData(body).then(() => undefined);
      for (const key of INITIAL_KEYS) await put(key, sampleBody(key));
      await runCliScenario({
        config: sasConfig(sas, 'braze-cli'),
        upload: put,
        secrets: [sas, new URLSearchParams(sas).get('sig')!, ACCOUNT_KEY],
        location: new RegExp(`under ${blobEndpoint.replace(/[.]/g, '\\.')}/braze-cli/currents/`),
      });
    }, 120_000);

    test('the same with a connection string', async () => {
      const fresh = new ContainerClient(connectionString, 'braze-cli-cs');
      await fresh.create();
      const put = (key: string, body: Buffer) => fresh.getBlockBlobClient(key).uploadData(body).then(() => undefined);
      for (const key of INITIAL_KEYS) await put(key, sampleBody(key));
      await runCliScenario({
        config: azureConfig({ container: 'braze-cli-cs' }),
        upload: put,
        secrets: [connectionString, ACCOUNT_KEY],
        location: /braze-cli-cs\/currents\//,
      });
    }, 120_000);

    test('wrong account key and wrong container: config_error naming what to fix, the key printed nowhere', async () => {
      await expectCliConfigError(
        azureConfig({ credentials: { auth_type: 'connection_string', connection_string: connectionStringWith(WRONG_KEY) } }),
        /Azure rejected the credentials.*connection_string/, [WRONG_KEY, ACCOUNT_KEY]);
      await expectCliConfigError(azureConfig({ container: 'no-such-container' }), /Container "no-such-container" does not exist/, [ACCOUNT_KEY]);
      await expectCliConfigError(azureConfig({ credentials: { auth_type: 'connection_string', connection_string: `AccountKey=${WRONG_KEY}` } }),
        /connection_string is not a valid Azure Storage connection string/, [WRONG_KEY]);
    }, 60_000);

    test('a download cut part-way: transient_error naming the object and container; the state before it lets a re-run resume', async () => {
      const fresh = new ContainerClient(connectionString, 'braze-cli-cut');
      await fresh.create();
      for (const key of INITIAL_KEYS) await fresh.getBlockBlobClient(key).uploadData(sampleBody(key));
      const proxy = await startCuttingProxy(blobEndpoint);
      try {
        await runCutDownloadScenario({
          config: azureConfig({ container: 'braze-cli-cut', credentials: { auth_type: 'sas', account_url: `${proxy.url}/${ACCOUNT}`, sas_token: sasFor('braze-cli-cut') } }),
          proxy,
          keys: [INITIAL_KEYS[0], INITIAL_KEYS[1], INITIAL_KEYS[2]],
          store: 'Azure container "braze-cli-cut"',
          secrets: [sasFor('braze-cli-cut'), ACCOUNT_KEY],
        });
      } finally {
        await proxy.close();
      }
    }, 60_000);
  });
});
