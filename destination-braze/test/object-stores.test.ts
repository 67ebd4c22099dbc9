/**
 * The membership store in object stores, through the Currents source's client construction: S3 against a real
 * S3-compatible server (s3rver), GCS against the fake GCS JSON API (test-support/fake-gcs.ts; no GCS emulator
 * runs here: it verifies each request's signed key, the account's role and the upload's hashes, and refuses
 * calls it does not model), and Azure Blob Storage against Azure's emulator (azurite), all on loopback.
 * The store contract (put/get/list/delete, a missing key), `check`, and syncs whose removals depend on the store.
 */
import crypto from 'crypto';
import type { AddressInfo } from 'net';
import type { LocalBraze } from '../../local-services/braze/server';
import { startAzurite, type RunningAzurite } from '../../test-support/azurite';
import { FakeGcs, keySecrets, serviceAccount } from '../../test-support/fake-gcs';
import { parseAirbyteOutput } from '../../test-support/protocol-validator';
import { runCli, writeTempJson } from '../../test-support/run-cli';
import type { BlobStore } from '../src/store/blob-store';
import { createBlobStore, type MembershipStoreConfig } from '../src/store/create-blob-store';
import { ATTRIBUTE, CANARY_API_KEY, assertNoLeak, configFor, membership, runWrite, startBraze, tempDir } from './support/braze-cli';
import { transcript, userIds } from './support/cohort-transcripts';
import { ContainerClient } from '@azure/storage-blob';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const S3rver = require('s3rver');

const USERS = userIds('store-user-', 6);
const ACCOUNT = 'brazestore';
const ACCOUNT_KEY = crypto.randomBytes(64).toString('base64');
const S3_SECRET = 'S3RVER';
const GCS_WRITER = serviceAccount('cohorts@braze-test.iam.gserviceaccount.com'); // Storage Object User
const GCS_READER = serviceAccount('viewer@braze-test.iam.gserviceaccount.com'); // Storage Object Viewer only

async function expectStoreContract(store: BlobStore): Promise<void> {
  expect(await store.get('cohorts/1/missing')).toBeUndefined();
  await store.put('cohorts/1/a.ids', Buffer.from('one'));
  await store.put('cohorts/1/progress/b.ids', Buffer.from('two'));
  await store.put('cohorts/10/c.ids', Buffer.from('three'));
  await store.put('cohorts/1/a.ids', Buffer.from('one again')); // replaced whole
  expect((await store.get('cohorts/1/a.ids'))!.toString()).toBe('one again');
  expect(await store.list('cohorts/1/')).toEqual(['cohorts/1/a.ids', 'cohorts/1/progress/b.ids']);
  await store.delete(['cohorts/1/progress/b.ids', 'cohorts/1/never-there']);
  expect(await store.list('cohorts/')).toEqual(['cohorts/1/a.ids', 'cohorts/10/c.ids']);
  await store.delete(['cohorts/1/a.ids', 'cohorts/10/c.ids']);
  expect(await store.list('cohorts/')).toEqual([]);
}

/** A first sync and a second one with leavers: the removals can only come from what the object store kept. */
async function expectSyncsThroughStore(braze: LocalBraze, storeConfig: MembershipStoreConfig, secrets: string[]): Promise<void> {
  braze.users.clear();
  braze.seedUsers(USERS);
  const config = configFor(braze, '', { membership_store: storeConfig });
  const first = await runWrite(config, transcript([{ id: 1, name: 'A', members: USERS.slice(0, 4) }]));
  expect(first.code).toBe(0);
  const second = await runWrite(config, transcript([{ id: 1, name: 'A', members: USERS.slice(2, 6) }], { round: 'r2' }));
  expect(second.code).toBe(0);
  expect(second.summary!.total).toMatchObject({ added: 2, removed: 2, unchanged: 2 });
  expect(Object.keys(membership(braze, ATTRIBUTE))).toEqual(USERS.slice(2, 6));
  for (const run of [first, second]) assertNoLeak(run, [...secrets, CANARY_API_KEY, ...USERS]);
}

async function check(config: Record<string, unknown>) {
  const result = await runCli('destination-braze', ['check', '--config', writeTempJson('config.json', config)]);
  expect(result.code).toBe(0);
  return { result, status: parseAirbyteOutput(result.stdout).find((m) => m.type === 'CONNECTION_STATUS')!.connectionStatus };
}

describe('membership store in object stores', () => {
  let braze: LocalBraze;
  beforeAll(async () => {
    braze = await startBraze(USERS);
  });
  afterAll(async () => {
    await braze?.close();
  });

  describe('S3 (s3rver)', () => {
    let server: { run(): Promise<AddressInfo>; close(): Promise<void> };
    let s3: MembershipStoreConfig;
    beforeAll(async () => {
      server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: tempDir('s3rver'), configureBuckets: [{ name: 'cohort-state' }] });
      const address = await server.run();
      s3 = { type: 's3', bucket: 'cohort-state', region: 'us-east-1', endpoint: `http://127.0.0.1:${address.port}`, force_path_style: true, credentials: { auth_type: 'access_key', aws_access_key_id: 'S3RVER', aws_secret_access_key: S3_SECRET } };
    });
    afterAll(async () => {
      await server?.close();
    });

    test('store contract, under a prefix', async () => {
      await expectStoreContract(createBlobStore(s3, 'connection-1/'));
    });

    test('syncs keep their snapshots in the bucket', async () => {
      await expectSyncsThroughStore(braze, s3, []);
    });

    test('check: SUCCEEDED with the bucket, FAILED naming membership_store for a missing bucket', async () => {
      const ok = await check(configFor(braze, '', { membership_store: s3 }));
      expect(ok.status.status).toBe('SUCCEEDED');
      const missing = await check(configFor(braze, '', { membership_store: { ...s3, bucket: 'no-such-bucket' } }));
      expect(missing.status.status).toBe('FAILED');
      expect(missing.status.message).toMatch(/membership store is not usable: .*no-such-bucket.*membership_store\.bucket/);
    });
  });

  describe('GCS (fake GCS JSON API)', () => {
    const fake = new FakeGcs({ bucket: 'cohort-state', accounts: [{ account: GCS_WRITER, access: 'write' }, { account: GCS_READER, access: 'read' }] });
    let gcs: MembershipStoreConfig;
    const secrets = [...keySecrets(GCS_WRITER), ...keySecrets(GCS_READER)];
    beforeAll(async () => {
      gcs = { type: 'gcs', bucket: 'cohort-state', service_account_json: GCS_WRITER.json, api_endpoint: await fake.listen() };
    });
    afterAll(async () => {
      await fake.close();
    });

    test('store contract, under a prefix', async () => {
      await expectStoreContract(createBlobStore(gcs, 'connection-1/'));
      expect([...fake.objects.keys()]).toEqual([]);
    });

    test('syncs keep their snapshots in the bucket; the key never shows', async () => {
      await expectSyncsThroughStore(braze, gcs, secrets);
      expect([...fake.objects.keys()].filter((k) => k.startsWith('braze-cohort-membership/cohorts/1/'))).not.toEqual([]);
    });

    test('check: SUCCEEDED with a writable bucket; FAILED naming membership_store for a missing bucket or a read-only key', async () => {
      const ok = await check(configFor(braze, '', { membership_store: gcs }));
      expect(ok.status.status).toBe('SUCCEEDED');
      const missing = await check(configFor(braze, '', { membership_store: { ...gcs, bucket: 'no-such-bucket' } }));
      expect(missing.status.status).toBe('FAILED');
      expect(missing.status.message).toMatch(/membership store is not usable: .*no-such-bucket.*membership_store\.bucket/);
      const readOnly = await check(configFor(braze, '', { membership_store: { ...gcs, service_account_json: GCS_READER.json } }));
      expect(readOnly.status.status).toBe('FAILED');
      expect(readOnly.status.message).toMatch(/membership store is not usable: Access denied to GCS bucket "cohort-state" \(while writing .*\): grant viewer@braze-test\.iam\.gserviceaccount\.com the "Storage Object User" role \(storage\.objects\.list, get, create and delete\) on the bucket\.$/);
      for (const run of [ok, missing, readOnly]) assertNoLeak(run.result, secrets);
    });
  });

  describe('Azure Blob Storage (azurite)', () => {
    let azurite: RunningAzurite;
    let azure: MembershipStoreConfig;
    let connectionString: string;
    beforeAll(async () => {
      azurite = await startAzurite(ACCOUNT, ACCOUNT_KEY, tempDir('azurite'));
      connectionString = `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};BlobEndpoint=${azurite.url}/${ACCOUNT};`;
      await new ContainerClient(connectionString, 'cohort-state').create();
      azure = { type: 'azure', container: 'cohort-state', credentials: { auth_type: 'connection_string', connection_string: connectionString } };
    }, 60_000);
    afterAll(async () => {
      await azurite?.stop();
    });

    test('store contract', async () => {
      await expectStoreContract(createBlobStore(azure, 'braze-cohort-membership/'));
    });

    test('syncs keep their snapshots in the container; the connection string never shows', async () => {
      await expectSyncsThroughStore(braze, azure, [ACCOUNT_KEY]);
    });

    test('check: FAILED naming the container when it does not exist', async () => {
      const missing = await check(configFor(braze, '', { membership_store: { ...azure, container: 'no-such-container' } }));
      expect(missing.status.status).toBe('FAILED');
      expect(missing.status.message).toMatch(/no-such-container/);
      assertNoLeak(missing.result, [ACCOUNT_KEY]);
    });
  });
});
