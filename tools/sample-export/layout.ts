/**
 * Braze's object-key layout for Currents data-storage exports:
 * `<prefix>/dataexport.<cluster>.S3.integration.<id>/event_type=<type>/date=<YYYY-MM-DD-HH>/<schema-id>/<zone>/
 *  dataexport.<cluster>.S3.integration.<id>+<partition>+<offset>.avro`
 */

export interface ObjectKeyParts {
  prefix: string;
  cluster: string;
  integrationId: string;
  eventType: string;
  /** Start of the processing hour, epoch ms (UTC). */
  hourStartMs: number;
  schemaId: number;
  zone: string;
  partition: number;
  offset: number;
}

/** `date=` value: the UTC hour Braze processed the batch, `YYYY-MM-DD-HH`. */
export function dateHour(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}`;
}

export function objectKey(k: ObjectKeyParts): string {
  const integration = `dataexport.${k.cluster}.S3.integration.${k.integrationId}`;
  const segments = [
    integration,
    `event_type=${k.eventType}`,
    `date=${dateHour(k.hourStartMs)}`,
    String(k.schemaId),
    k.zone,
    `${integration}+${k.partition}+${k.offset}.avro`,
  ];
  return k.prefix ? `${k.prefix.replace(/\/+$/, '')}/${segments.join('/')}` : segments.join('/');
}

export interface ParsedObjectKey {
  eventType: string;
  date: string;
  schemaId: string;
  zone: string;
  partition: number;
  offset: number;
}

/** Inverse of `objectKey` for keys we wrote (tests use it to check the layout). */
export function parseObjectKey(key: string): ParsedObjectKey | undefined {
  const m = /(?:^|\/)dataexport\.[^/]+\.integration\.[^/]+\/event_type=([^/]+)\/date=(\d{4}-\d{2}-\d{2}-\d{2})\/([^/]+)\/([^/]+)\/dataexport\.[^/]+\+(\d+)\+(\d+)\.avro$/.exec(key);
  if (!m) return undefined;
  return { eventType: m[1], date: m[2], schemaId: m[3], zone: m[4], partition: Number(m[5]), offset: Number(m[6]) };
}
