/**
 * The fake GCS JSON API (fake-gcs.ts) through the real @google-cloud/storage client: the calls the membership
 * store makes succeed and are answered as GCS answers them, and calls GCS would refuse are refused here too,
 * so a wrong client call in the stores fails its tests instead of passing against a lenient fake.
 */
import { gcsBucketFor, READ_ONLY_SCOPE } from '../source-braze-currents/src/storage/gcs';
import { FakeGcs, crc32c, serviceAccount, type ServiceAccount } from './fake-gcs';

const READ_WRITE_SCOPE = 'https://www.googleapis.com/auth/devstorage.read_write';
const WRITER = serviceAccount('writer@braze-test.iam.gserviceaccount.com');
const READER = serviceAccount('reader@braze-test.iam.gserviceaccount.com');
const UNKNOWN = serviceAccount('writer@braze-test.iam.gserviceaccount.com'); // same account, a key Google does not know

describe('fake GCS JSON API, through @google-cloud/storage', () => {
  const fake = new FakeGcs({ bucket: 'b', accounts: [{ account: WRITER, access: 'write' }, { account: READER, access: 'read' }] });
  let endpoint: string;
  const bucket = (account: ServiceAccount, scope = READ_WRITE_SCOPE) =>
    gcsBucketFor({ type: 'gcs', bucket: 'b', service_account_json: account.json, api_endpoint: endpoint }, scope).bucket;
  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e) => ({ code: e.code, reason: e.errors?.[0]?.reason }));

  beforeAll(async () => {
    endpoint = await fake.listen();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.objects.clear();
    fake.requests.length = 0;
  });

  test('a multipart upload is stored and answered with its hashes; read back, listed, deleted', async () => {
    const file = bucket(WRITER).file('dir/a b.ids');
    await file.save(Buffer.from('one\ntwo\n'), { resumable: false });
    expect(fake.requests.map((r) => [r.method, r.path, r.query])).toEqual([['POST', '/upload/storage/v1/b/b/o', { uploadType: 'multipart', name: 'dir/a b.ids' }]]);
    expect(fake.objects.get('dir/a b.ids')!.body.toString()).toBe('one\ntwo\n');
    expect((await file.getMetadata())[0]).toMatchObject({ name: 'dir/a b.ids', size: '8', crc32c: crc32c(Buffer.from('one\ntwo\n')) });
    expect((await file.download())[0].toString()).toBe('one\ntwo\n');
    expect((await bucket(READER).getFiles({ prefix: 'dir/' }))[0].map((f) => f.name)).toEqual(['dir/a b.ids']);
    await file.delete();
    expect(fake.objects.size).toBe(0);
    expect(await failure(file.delete())).toEqual({ code: 404, reason: 'notFound' });
    await file.delete({ ignoreNotFound: true });
  });

  test('refused as GCS refuses them: a read-only account or scope writing, an unknown key, unmet preconditions, a wrong hash', async () => {
    expect(await failure(bucket(READER).file('x').save(Buffer.from('x'), { resumable: false }))).toEqual({ code: 403, reason: 'forbidden' });
    expect(await failure(bucket(READER).file('x').delete({ ignoreNotFound: true }))).toEqual({ code: 403, reason: 'forbidden' });
    expect(await failure(bucket(WRITER, READ_ONLY_SCOPE).file('x').save(Buffer.from('x'), { resumable: false }))).toEqual({ code: 403, reason: 'insufficientPermissions' });
    expect(await failure(bucket(UNKNOWN).getFiles())).toEqual({ code: 401, reason: 'authError' });
    expect(fake.objects.size).toBe(0);

    await bucket(WRITER).file('x').save(Buffer.from('x'), { resumable: false });
    expect(await failure(bucket(WRITER).file('x').save(Buffer.from('y'), { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }))).toEqual({ code: 412, reason: 'conditionNotMet' });
    expect(await failure(bucket(WRITER).file('y').save(Buffer.from('y'), { resumable: false, metadata: { crc32c: crc32c(Buffer.from('z')) } }))).toEqual({ code: 400, reason: 'invalid' });
    expect([...fake.objects.keys()]).toEqual(['x']);
    expect(fake.objects.get('x')!.body.toString()).toBe('x');
  });

  test('a resumable upload is not modelled, and is refused (the client sends it without credentials to a custom endpoint)', async () => {
    const err = await bucket(WRITER).file('x').save(Buffer.from('x')).then(() => undefined, (e) => e);
    expect(err?.message).toMatch(/status code 401/);
    expect(fake.requests.map((r) => r.query.uploadType)).toEqual(['resumable']);
    expect(fake.objects.size).toBe(0);
  });
});
