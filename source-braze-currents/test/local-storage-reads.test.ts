/** Local storage reads small files in one go and streams big ones; listing keeps S3 key order either way. */
import crypto from 'crypto';
import fs from 'fs';
import path from 'path';
import { LocalStorage } from '../src/storage/local';
import { makeTempDir } from './support/samples';

async function readAll(stream: NodeJS.ReadableStream): Promise<{ bytes: Buffer; chunks: number }> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return { bytes: Buffer.concat(chunks), chunks: chunks.length };
}

describe('LocalStorage reads', () => {
  const root = makeTempDir('local-reads');
  const storage = new LocalStorage(root);
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a small file arrives whole, in one chunk, byte for byte', async () => {
    const bytes = crypto.randomBytes(300_000);
    fs.writeFileSync(path.join(root, 'small.avro'), bytes);
    const read = await readAll(await storage.open('small.avro'));
    expect(read.chunks).toBe(1);
    expect(read.bytes.equals(bytes)).toBe(true);
  });

  test('an empty file reads as no bytes', async () => {
    fs.writeFileSync(path.join(root, 'empty.avro'), Buffer.alloc(0));
    expect((await readAll(await storage.open('empty.avro'))).bytes.length).toBe(0);
  });

  test('a file bigger than the one-read limit streams in several chunks, byte for byte', async () => {
    const bytes = crypto.randomBytes(20 * 1024 * 1024);
    fs.writeFileSync(path.join(root, 'big.avro'), bytes);
    const read = await readAll(await storage.open('big.avro'));
    expect(read.chunks).toBeGreaterThan(1);
    expect(read.bytes.equals(bytes)).toBe(true);
  });

  test('a missing file is a config error naming it', async () => {
    await expect(storage.open('nope/missing.avro')).rejects.toThrow(/Cannot read .*missing\.avro: check the file permissions/);
  });

  test('listing describes files in key order, honouring startAfter', async () => {
    const dir = path.join(root, 'list', 'date=2024-05-01-10');
    fs.mkdirSync(dir, { recursive: true });
    const names = ['a+0+9.avro', 'a+0+10.avro', 'b.avro', 'a.avro'];
    names.forEach((n, i) => fs.writeFileSync(path.join(dir, n), Buffer.alloc(i + 1)));
    const keys = async (startAfter?: string) => {
      const out: { key: string; size: number }[] = [];
      for await (const o of storage.listObjects('list/', startAfter)) out.push({ key: o.key, size: o.size });
      return out;
    };
    const all = await keys();
    expect(all.map((o) => o.key)).toEqual([...names].sort().map((n) => `list/date=2024-05-01-10/${n}`));
    expect(all.find((o) => o.key.endsWith('/b.avro'))?.size).toBe(3);
    expect((await keys('list/date=2024-05-01-10/a+0+9.avro')).map((o) => o.key.split('/').pop())).toEqual(['a.avro', 'b.avro']);
  });
});
