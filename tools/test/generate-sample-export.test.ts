import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import * as avro from 'avsc';
import { generateSampleExport, SampleExportResult } from '../sample-export/generate';
import { CatalogueEventType, loadCatalogue, loadCatalogueFromSchemas } from '../sample-export/catalogue';
import { decoderCodecs, encoderCodecs } from '../sample-export/codecs';
import { parseObjectKey } from '../sample-export/layout';
import { CUSTOM_EVENT_NAMES } from '../sample-export/field-values';
import { REALISTIC_TEXT } from '../sample-export/options';

const repo = path.resolve(__dirname, '..', '..');
const cataloguePath = path.resolve(repo, '..', 'shared', 'reference', 'currents_event_fields.json');
const haveCatalogue = fs.existsSync(cataloguePath);
if (!haveCatalogue) console.warn(`SKIPPED sample-export generator tests: catalogue not found at ${cataloguePath}`);
const d = haveCatalogue ? describe : describe.skip;

const NOW = '2026-06-30T12:34:56Z';
const NOW_MS = Date.parse(NOW);
const MAX_AGE_DAYS = 3;

interface DecodedFile {
  file: string;
  schema: any;
  codec: string;
  records: any[];
}

function decodeFile(file: string): Promise<DecodedFile> {
  return new Promise((resolve, reject) => {
    const out: DecodedFile = { file, schema: undefined, codec: '', records: [] };
    avro
      .createFileDecoder(file, { codecs: decoderCodecs() })
      .on('metadata', (_type: unknown, codec: string, header: any) => {
        out.schema = JSON.parse(header.meta['avro.schema'].toString());
        out.codec = codec;
      })
      .on('data', (r: any) => out.records.push(r))
      .on('error', reject)
      .on('end', () => resolve(out));
  });
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out.sort();
}

function tmpDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `sample-export-${label}-`));
}

/** Checks a decoded value against the catalogue's type name. */
function hasCatalogueType(v: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'int':
      return Number.isInteger(v) && (v as number) >= -2147483648 && (v as number) <= 2147483647;
    case 'long':
      return Number.isSafeInteger(v);
    case 'float':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'array<string>':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    default:
      return false;
  }
}

d('generateSampleExport', () => {
  let catalogue: CatalogueEventType[];
  let byType: Map<string, CatalogueEventType>;
  let outDir: string;
  let result: SampleExportResult;
  let decoded: DecodedFile[];

  beforeAll(async () => {
    catalogue = loadCatalogue(cataloguePath);
    byType = new Map(catalogue.map((c) => [c.type, c]));
    outDir = tmpDir('main');
    result = await generateSampleExport({
      out: outDir,
      totalEvents: 6000,
      eventsPerFile: 40,
      hours: 4,
      maxAgeDays: MAX_AGE_DAYS,
      now: NOW,
      seed: 'jest',
      duplicateFraction: 0.05,
      anonymousFraction: 0.15,
      invalidPropertiesFraction: 0.1,
      catalogue: cataloguePath,
    });
    decoded = [];
    for (const f of result.files) decoded.push(await decodeFile(f));
  });

  afterAll(() => {
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  test('the catalogue has the 100 types (94 current, 6 retired) this suite expects', () => {
    expect(catalogue).toHaveLength(100);
    expect(catalogue.filter((c) => c.status === 'removed')).toHaveLength(6);
  });

  test('writes exactly the reported files, and event counts add up', () => {
    const onDisk = listFiles(outDir);
    expect(onDisk).toEqual([...result.files].sort());
    const total = decoded.reduce((n, f) => n + f.records.length, 0);
    expect(total).toBe(6000);
    expect(result.events).toBe(6000);
    const perType: Record<string, number> = {};
    for (const f of decoded) {
      const t = parseObjectKey(path.relative(outDir, f.file))!.eventType;
      perType[t] = (perType[t] ?? 0) + f.records.length;
    }
    expect(perType).toEqual(result.perType);
    expect(Object.values(result.perType).reduce((a, b) => a + b, 0)).toBe(6000);
    for (const f of decoded) {
      expect(f.records.length).toBeGreaterThan(0); // Braze never writes empty files
      expect(f.records.length).toBeLessThanOrEqual(40);
    }
  });

  test('every catalogued type (current and retired) is present', () => {
    const types = new Set(result.files.map((f) => parseObjectKey(path.relative(outDir, f))!.eventType));
    expect([...types].sort()).toEqual(catalogue.map((c) => c.type).sort());
    for (const c of catalogue) expect(result.perType[c.type]).toBeGreaterThanOrEqual(1);
  });

  test("object keys follow Braze's layout", () => {
    const hours = new Set<string>();
    const schemaIds = new Set<string>();
    for (const f of result.files) {
      const rel = path.relative(outDir, f).split(path.sep).join('/');
      expect(rel).toMatch(
        /^currents\/dataexport\.prod-01\.S3\.integration\.[0-9a-f]{24}\/event_type=[A-Za-z.]+\/date=\d{4}-\d{2}-\d{2}-\d{2}\/\d+\/0\/dataexport\.prod-01\.S3\.integration\.[0-9a-f]{24}\+\d+\+\d+\.avro$/,
      );
      const k = parseObjectKey(rel)!;
      expect(k).toBeDefined();
      expect(byType.has(k.eventType)).toBe(true);
      hours.add(k.date);
      schemaIds.add(k.schemaId);
    }
    // 4 processing hours ending with the hour that contains NOW.
    expect([...hours].sort()).toEqual(['2026-06-30-09', '2026-06-30-10', '2026-06-30-11', '2026-06-30-12']);
    expect([...schemaIds].sort()).toEqual(['1', '2']);
    // Several files per hour for one type.
    const openHour = result.files.filter((f) => f.includes('event_type=users.messages.email.Open/date=2026-06-30-11/'));
    expect(openHour.length).toBeGreaterThan(1);
  });

  test('writer schemas mirror Braze headers and the catalogue', () => {
    const problems: string[] = [];
    for (const f of decoded) {
      const k = parseObjectKey(path.relative(outDir, f.file))!;
      const spec = byType.get(k.eventType)!;
      const lastDot = spec.type.lastIndexOf('.');
      const where = path.basename(path.dirname(path.dirname(f.file)));
      if (f.codec !== 'null') problems.push(`${where}: codec ${f.codec}`);
      if (f.schema.type !== 'record' || f.schema.name !== spec.type.slice(lastDot + 1)) problems.push(`${spec.type}: record name ${f.schema.name}`);
      if (f.schema.namespace !== `dataexport.S3.inner.${spec.type.slice(0, lastDot)}`) problems.push(`${spec.type}: namespace ${f.schema.namespace}`);
      const catalogueFields = new Map(spec.fields.map((x) => [x.name, x]));
      for (const field of f.schema.fields) {
        const c = catalogueFields.get(field.name);
        if (!c) {
          problems.push(`${spec.type}: field ${field.name} not in catalogue`);
          continue;
        }
        const base = c.type === 'array<string>' ? { type: 'array', items: 'string' } : c.type;
        const want = c.optional ? ['null', base] : base;
        if (JSON.stringify(field.type) !== JSON.stringify(want)) problems.push(`${spec.type}.${field.name}: ${JSON.stringify(field.type)}`);
        if (c.optional && !(Object.prototype.hasOwnProperty.call(field, 'default') && field.default === null)) problems.push(`${spec.type}.${field.name}: no null default`);
      }
      // The current schema id has every catalogue field; the older one lacks at most one optional field.
      const missing = spec.fields.filter((x) => !f.schema.fields.some((s: any) => s.name === x.name));
      if (k.schemaId === '2' && missing.length) problems.push(`${spec.type}: schema 2 lacks ${missing.map((m) => m.name)}`);
      if (k.schemaId === '1' && (missing.length > 1 || missing.some((m) => !m.optional))) problems.push(`${spec.type}: schema 1 lacks ${missing.map((m) => m.name)}`);
    }
    expect(problems).toEqual([]);
    const wa = decoded.find((f) => f.file.includes('event_type=users.messages.whatsapp.Send/'))!;
    expect(wa.schema.fields.find((x: any) => x.name === 'time').type).toBe('long');
    const open = decoded.find((f) => f.file.includes('event_type=users.messages.email.Open/'))!;
    expect(open.schema.fields.find((x: any) => x.name === 'time').type).toBe('int');
  });

  test('records validate against the catalogue field list', () => {
    const problems: string[] = [];
    let checked = 0;
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const f of decoded) {
      const spec = byType.get(parseObjectKey(path.relative(outDir, f.file))!.eventType)!;
      const inSchema = new Set(f.schema.fields.map((x: any) => x.name));
      const known = new Set(spec.fields.map((x) => x.name));
      for (const r of f.records) {
        for (const field of spec.fields) {
          if (!inSchema.has(field.name)) continue;
          const v = r[field.name];
          if (!field.optional && !hasCatalogueType(v, field.type)) problems.push(`${spec.type}.${field.name} = ${JSON.stringify(v)} is not a ${field.type}`);
          if (field.optional && v !== null && !hasCatalogueType(v, field.type)) problems.push(`${spec.type}.${field.name} = ${JSON.stringify(v)} is neither null nor a ${field.type}`);
        }
        for (const key of Object.keys(r)) if (!known.has(key)) problems.push(`${spec.type}: unexpected field ${key}`);
        if (!uuid.test(r.id)) problems.push(`${spec.type}: id ${r.id} is not uuid-like`);
        checked++;
      }
    }
    expect(problems.slice(0, 20)).toEqual([]);
    expect(checked).toBe(6000);
  });

  test('event times are within the last maxAgeDays before now, never in the future', () => {
    const lower = NOW_MS / 1000 - MAX_AGE_DAYS * 86400;
    const problems: string[] = [];
    let old = 0;
    for (const f of decoded) {
      const date = parseObjectKey(path.relative(outDir, f.file))!.date;
      const [y, m, dd, h] = date.split('-').map(Number);
      const hourEnd = Date.UTC(y, m - 1, dd, h + 1) / 1000;
      for (const r of f.records) {
        if (r.time > NOW_MS / 1000) problems.push(`${r.id}: time ${r.time} after now`);
        if (r.time < lower) problems.push(`${r.id}: time ${r.time} older than ${MAX_AGE_DAYS} days`);
        // An event is processed (date= hour) after it happened.
        if (r.time >= hourEnd) problems.push(`${r.id}: time ${r.time} after its date=${date} hour`);
        if (r.time < hourEnd - 2 * 3600) old++;
        if (typeof r.time_ms === 'number' && Math.floor(r.time_ms / 1000) !== r.time) problems.push(`${r.id}: time_ms ${r.time_ms} != time`);
      }
    }
    expect(problems.slice(0, 20)).toEqual([]);
    expect(old).toBeGreaterThan(0); // some late (offline) events
  });

  test('the same event id appears in two files (at-least-once duplicates), as many as reported', () => {
    const fileOfId = new Map<string, string>();
    let repeats = 0;
    for (const f of decoded) {
      for (const r of f.records) {
        const first = fileOfId.get(r.id);
        if (first === undefined) fileOfId.set(r.id, f.file);
        else {
          expect(first).not.toBe(f.file);
          repeats++;
        }
      }
    }
    expect(result.duplicates).toBeGreaterThan(0);
    expect(repeats).toBe(result.duplicates);
  });

  test('some events are anonymous (no external_user_id), most are not', () => {
    let anon = 0;
    let known = 0;
    for (const f of decoded) {
      if (!f.schema.fields.some((x: any) => x.name === 'external_user_id')) continue;
      for (const r of f.records) (r.external_user_id === null ? anon++ : known++);
    }
    expect(anon).toBe(result.anonymousEvents);
    expect(anon).toBeGreaterThan(0);
    expect(known).toBeGreaterThan(anon * 2);
  });

  test('CustomEvent and Purchase carry JSON-string properties, with the requested share invalid', () => {
    let invalid = 0;
    let valid = 0;
    const names = new Set<string>();
    for (const f of decoded) {
      const type = parseObjectKey(path.relative(outDir, f.file))!.eventType;
      if (type !== 'users.behaviors.CustomEvent' && type !== 'users.behaviors.Purchase') continue;
      for (const r of f.records) {
        if (type === 'users.behaviors.CustomEvent') names.add(r.name);
        else {
          expect(typeof r.product_id).toBe('string');
          expect(r.price).toBeGreaterThan(0);
          expect(r.currency).toMatch(/^[A-Z]{3}$/);
        }
        if (r.properties === null) continue;
        try {
          const p = JSON.parse(r.properties);
          expect(typeof p).toBe('object');
          valid++;
        } catch {
          invalid++;
        }
      }
    }
    expect(invalid).toBe(result.invalidProperties);
    expect(invalid).toBeGreaterThan(0);
    expect(valid).toBeGreaterThan(invalid * 3);
    expect([...names].every((n) => CUSTOM_EVENT_NAMES.includes(n))).toBe(true);
    expect(names.size).toBeGreaterThan(1);
  });
});

d('generateSampleExport determinism and codecs', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((x) => fs.rmSync(x, { recursive: true, force: true })));

  async function run(label: string, extra: Record<string, unknown>): Promise<{ dir: string; r: SampleExportResult }> {
    const dir = tmpDir(label);
    dirs.push(dir);
    const r = await generateSampleExport({
      out: dir,
      totalEvents: 400,
      hours: 3,
      now: NOW,
      types: ['users.behaviors.CustomEvent', 'users_messages_email_open', 'users.messages.whatsapp.InboundReceive', 'users.behaviors.pushnotification.TokenStateChange'],
      eventsPerFile: 30,
      duplicateFraction: 0.05,
      catalogue: cataloguePath,
      seed: 42,
      ...extra,
    } as any);
    return { dir, r };
  }

  function snapshot(dir: string): Map<string, Buffer> {
    return new Map(listFiles(dir).map((f) => [path.relative(dir, f), fs.readFileSync(f)]));
  }

  async function allRecords(files: string[]): Promise<any[]> {
    const out: any[] = [];
    for (const f of files) out.push(...(await decodeFile(f)).records);
    return out;
  }

  test('realistic text: at least half the records carry non-ASCII text, custom events get their share, escaped and nested properties parse', async () => {
    const { dir, r } = await run('realistic', { ...REALISTIC_TEXT, totalEvents: 2000 });
    const records = await allRecords(listFiles(dir));
    const nonAscii = records.filter((rec) => /[^\x00-\x7f]|\\u[0-9a-f]{4}/.test(JSON.stringify(rec))).length;
    expect(nonAscii / records.length).toBeGreaterThanOrEqual(0.5);
    const custom = r.perType['users.behaviors.CustomEvent'] / r.events;
    expect(custom).toBeGreaterThanOrEqual(0.15);
    expect(custom).toBeLessThanOrEqual(0.25);
    const props = records.filter((rec) => typeof rec.properties === 'string').map((rec) => rec.properties as string);
    const escaped = props.filter((p) => /\\u[0-9a-f]{4}/.test(p) && !/[^\x00-\x7f]/.test(p));
    expect(escaped.length).toBeGreaterThan(0);
    for (const p of escaped) expect(Object.values(JSON.parse(p)).some((v) => typeof v === 'string' && /["\\\n\t]|[^\x00-\x7f]/.test(v))).toBe(true);
    const nested = props.map((p) => JSON.parse(p)).filter((p) => p.cart && typeof p.cart === 'object' && Array.isArray(p.cart.items));
    expect(nested.length).toBeGreaterThan(0);
    const names = new Set(records.filter((rec) => rec.name).map((rec) => rec.name as string));
    expect([...names].some((n) => /[^\x00-\x7f]/.test(n))).toBe(true);
  });

  test('realistic-text options left at 0 change nothing: byte-identical to the default output', async () => {
    const a = await run('zero-a', {});
    const b = await run('zero-b', { internationalFraction: 0, jsonEscapesFraction: 0, nestedPropertiesFraction: 0 });
    const sa = snapshot(a.dir);
    const sb = snapshot(b.dir);
    expect([...sb.keys()]).toEqual([...sa.keys()]);
    for (const [k, buf] of sa) expect(sb.get(k)!.equals(buf)).toBe(true);
  });

  test('same seed and options give byte-identical files; another seed does not', async () => {
    const a = await run('det-a', {});
    const b = await run('det-b', {});
    const c = await run('det-c', { seed: 43 });
    const sa = snapshot(a.dir);
    const sb = snapshot(b.dir);
    expect([...sb.keys()]).toEqual([...sa.keys()]);
    for (const [k, buf] of sa) expect(sb.get(k)!.equals(buf)).toBe(true);
    const sc = snapshot(c.dir);
    const same = [...sc].filter(([k, buf]) => sa.get(k)?.equals(buf)).length;
    expect(same).toBe(0);
  });

  test.each(['deflate', 'snappy'] as const)('%s files decode to the same records as the null codec', async (codec) => {
    const plain = await run(`plain-${codec}`, {});
    const packed = await run(codec, { codec });
    expect(packed.r.files.map((f) => path.relative(packed.dir, f))).toEqual(plain.r.files.map((f) => path.relative(plain.dir, f)));
    for (const f of packed.r.files.slice(0, 3)) expect((await decodeFile(f)).codec).toBe(codec);
    expect(await allRecords(packed.r.files)).toEqual(await allRecords(plain.r.files));
  });

  test('snappy blocks carry the CRC32 of the uncompressed data (a wrong CRC is detected)', (done) => {
    const data = Buffer.from('{"some":"block data","n":12345}'.repeat(20));
    encoderCodecs().snappy(data, (err, packed) => {
      expect(err).toBeNull();
      decoderCodecs().snappy(packed!, (err2, back) => {
        expect(err2).toBeNull();
        expect(back!.equals(data)).toBe(true);
        const bad = Buffer.from(packed!);
        bad[bad.length - 1] ^= 0xff;
        decoderCodecs().snappy(bad, (err3) => {
          expect(err3?.message).toMatch(/checksum mismatch \(CRC32 in file/);
          done();
        });
      });
    });
  });

  test('a type filter keeps the other types identical (each type has its own random stream)', async () => {
    const both = await run('filter-both', { types: ['users.behaviors.CustomEvent', 'users.messages.email.Open'], totalEvents: 200 });
    const one = await run('filter-one', { types: ['users.behaviors.CustomEvent'], totalEvents: both.r.perType['users.behaviors.CustomEvent'] });
    const pick = (r: SampleExportResult) => r.files.filter((f) => f.includes('CustomEvent'));
    expect(await allRecords(pick(one.r))).toEqual(await allRecords(pick(both.r)));
  });

  test('bad options fail with a message naming the option', async () => {
    await expect(run('bad-1', { totalEvents: 2 })).rejects.toThrow(/totalEvents \(2\) must be at least the number of event types \(4\)/);
    await expect(run('bad-2', { types: ['users.messages.email.Opne'] })).rejects.toThrow(/unknown event type.*did you mean users\.messages\.email\.Open/);
    await expect(run('bad-3', { duplicateFraction: 2 })).rejects.toThrow(/duplicateFraction must be a number between 0 and 1/);
    await expect(run('bad-4', { hours: 100, maxAgeDays: 1 })).rejects.toThrow(/hours \(100\) must fit within maxAgeDays/);
    await expect(run('bad-5', { codec: 'zstd' })).rejects.toThrow(/codec must be one of null, deflate, snappy/);
  });
});

const schemasDir = path.join(repo, 'schemas');
(haveCatalogue && fs.existsSync(schemasDir) ? describe : describe.skip)('catalogue fallback from the checked-in schemas/', () => {
  test('has the same types, fields and optionality as the reference catalogue', () => {
    const ref = loadCatalogue(cataloguePath);
    const fromSchemas = loadCatalogueFromSchemas(schemasDir);
    const shape = (cat: CatalogueEventType[]) =>
      cat
        .map((t) => ({ type: t.type, status: t.status, fields: t.fields.map((f) => `${f.name}:${f.optional}`).sort() }))
        .sort((a, b) => a.type.localeCompare(b.type));
    expect(shape(fromSchemas)).toEqual(shape(ref));
  });

  test('an export generated from it decodes', async () => {
    const dir = tmpDir('fallback');
    try {
      const r = await generateSampleExport({ out: dir, totalEvents: 50, now: NOW, types: ['users.behaviors.Purchase'], catalogue: loadCatalogueFromSchemas(schemasDir) });
      let n = 0;
      for (const f of r.files) n += (await decodeFile(f)).records.length;
      expect(n).toBe(50);
      expect(r.catalogueSource).toBe('caller-supplied catalogue');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

const cli = path.join(repo, 'dist', 'tools', 'generate-sample-export.js');
const dc = haveCatalogue && fs.existsSync(cli) ? describe : describe.skip;
if (haveCatalogue && !fs.existsSync(cli)) console.warn(`SKIPPED generator CLI tests: ${cli} not built (run npx tsc -p tsconfig.json)`);

dc('generate-sample-export CLI', () => {
  test('--help prints usage', () => {
    const p = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
    expect(p.status).toBe(0);
    expect(p.stdout).toMatch(/Usage: node dist\/tools\/generate-sample-export\.js --out DIR/);
    expect(p.stdout).toMatch(/--codec/);
  });

  test('writes an export and prints a JSON summary', () => {
    const dir = tmpDir('cli');
    try {
      const p = spawnSync(
        process.execPath,
        [cli, '--out', dir, '--events', '150', '--seed', 's', '--codec', 'deflate', '--hours', '2', '--now', NOW, '--types', 'users.behaviors.Purchase,users_behaviors_customevent', '--catalogue', cataloguePath, '--json'],
        { encoding: 'utf8' },
      );
      expect(p.stderr).toBe('');
      expect(p.status).toBe(0);
      const summary = JSON.parse(p.stdout);
      expect(summary.events).toBe(150);
      expect(Object.keys(summary.perType).sort()).toEqual(['users.behaviors.CustomEvent', 'users.behaviors.Purchase']);
      expect(listFiles(dir)).toHaveLength(summary.fileCount);
      expect(listFiles(dir).every((f) => f.includes('/date=2026-06-30-1'))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('usage errors exit 2 with a one-line message, no stack trace', () => {
    for (const args of [['--out', '/tmp/x', '--bogus'], ['--events', '10'], ['--out', '/tmp/x', '--codec', 'lz4'], ['--out', '/tmp/x', '--events', 'many']]) {
      const p = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
      expect(p.status).toBe(2);
      expect(p.stderr).toMatch(/^generate-sample-export: /);
      expect(p.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
