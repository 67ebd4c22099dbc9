/** Locating Braze's published sample files (never copied into the repo) and building bucket-like trees from them. */
import fs from 'fs';
import os from 'os';
import path from 'path';

export const SAMPLES_DIR = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'currents-examples');
export const samplesPresent = fs.existsSync(path.join(SAMPLES_DIR, 'v10', 'Avro'));

/** `describe` when the samples exist, otherwise `describe.skip` with a visible message. */
export function describeWithSamples(title: string, body: () => void): void {
  if (!samplesPresent) {
    // eslint-disable-next-line no-console
    console.warn(`Skipping "${title}": Braze sample folder ${SAMPLES_DIR} is absent.`);
    describe.skip(title, body);
  } else {
    describe(title, body);
  }
}

export const INTEGRATION_DIR = 'dataexport.prod-01.S3.integration.abc';

/** Sample Avro file of a type, e.g. sampleAvro('users.messages.email.Open'). */
export function sampleAvro(eventType: string, version = 'v10/Avro'): string {
  return path.join(SAMPLES_DIR, version, `${eventType}.avro`);
}

export function sampleEventTypes(): string[] {
  return fs.readdirSync(path.join(SAMPLES_DIR, 'v10', 'Avro')).filter((f) => f.endsWith('.avro')).map((f) => f.slice(0, -'.avro'.length)).sort();
}

/** Key of a file in Braze's layout. */
export function brazeKey(eventType: string, hour: string, offset: number, prefix = 'currents'): string {
  return `${prefix}/${INTEGRATION_DIR}/event_type=${eventType}/date=${hour}/1/0/${INTEGRATION_DIR}+0+${offset}.avro`;
}

export function makeTempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `braze-${label}-`));
}

/** Copies `source` (a file path) or writes `content` (a Buffer) at `key` under `root`. */
export function placeFile(root: string, key: string, source: string | Buffer): string {
  const file = path.join(root, ...key.split('/'));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (typeof source === 'string') fs.copyFileSync(source, file);
  else fs.writeFileSync(file, source);
  return file;
}
