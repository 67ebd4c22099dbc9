/** Singer ⇄ Airbyte translation: catalogs (with metadata breadcrumbs and `selected`), messages, and `--about`. */
import type { ConnectorInfo } from './connector';
import type { AirbyteCatalog, AirbyteMessage, AirbyteStream, ConfiguredAirbyteCatalog, JsonObject } from './protocol';

interface SingerMetadata { breadcrumb: string[]; metadata: JsonObject }
export interface SingerStream {
  tap_stream_id: string;
  stream: string;
  schema: JsonObject;
  key_properties?: string[];
  replication_method?: string;
  metadata?: SingerMetadata[];
}
export interface SingerCatalog { streams: SingerStream[] }

const keyPropertiesOf = (s: AirbyteStream) => (s.source_defined_primary_key ?? []).map((path) => path[0]);

export function toSingerCatalog(catalog: AirbyteCatalog): SingerCatalog {
  return {
    streams: catalog.streams.map((s) => {
      const keys = keyPropertiesOf(s);
      const replication = s.supported_sync_modes.includes('incremental') ? 'INCREMENTAL' : 'FULL_TABLE';
      const properties = Object.keys((s.json_schema.properties as JsonObject) ?? {});
      return {
        tap_stream_id: s.name,
        stream: s.name,
        schema: s.json_schema,
        key_properties: keys,
        replication_method: replication,
        metadata: [
          {
            breadcrumb: [],
            metadata: {
              inclusion: 'available',
              'table-key-properties': keys,
              'forced-replication-method': replication,
              ...(s.default_cursor_field ? { 'valid-replication-keys': s.default_cursor_field } : {}),
            },
          },
          ...properties.map((p) => ({ breadcrumb: ['properties', p], metadata: { inclusion: keys.includes(p) ? 'automatic' : 'available' } })),
        ],
      };
    }),
  };
}

/** What a Singer catalog asks for: the selected streams, and per stream the top-level properties to leave out. */
export interface SingerSelection {
  catalog: ConfiguredAirbyteCatalog;
  /** Stream name → deselected property names (only streams with at least one). Their schemas already omit them. */
  excluded: Map<string, ReadonlySet<string>>;
}

/**
 * Streams the Singer catalog selects (stream metadata `selected: true`, or the legacy `schema.selected`), with
 * property-level selection applied to each stream's schema (see `propertyIsSelected`).
 */
export function selectedStreams(catalog: SingerCatalog, discovered: AirbyteCatalog): SingerSelection {
  const byName = new Map(discovered.streams.map((s) => [s.name, s]));
  const streams = [];
  const excluded = new Map<string, ReadonlySet<string>>();
  for (const s of catalog.streams ?? []) {
    const top = s.metadata?.find((m) => (m.breadcrumb ?? []).length === 0)?.metadata ?? {};
    const selected = top.selected ?? (s.schema as JsonObject | undefined)?.selected;
    if (selected !== true) continue;
    const name = s.tap_stream_id ?? s.stream;
    const found = byName.get(name) ?? { name, json_schema: s.schema, supported_sync_modes: ['full_refresh', 'incremental'] };
    const dropped = deselectedProperties(s);
    if (dropped.size) excluded.set(name, dropped);
    const stream = dropped.size ? { ...found, json_schema: schemaWithout(found.json_schema, dropped) } : found;
    const method = (top['replication-method'] ?? s.replication_method ?? 'INCREMENTAL') as string;
    streams.push({
      stream,
      sync_mode: method.toUpperCase() === 'FULL_TABLE' ? ('full_refresh' as const) : ('incremental' as const),
      destination_sync_mode: 'append' as const,
    });
  }
  return { catalog: { streams }, excluded };
}

/**
 * Singer's rule for one property's metadata: `automatic` is always emitted, `unsupported` never; otherwise
 * `selected` decides, and without it `selected-by-default` (absent counts as selected).
 */
export function propertyIsSelected(metadata: JsonObject): boolean {
  if (metadata.inclusion === 'automatic') return true;
  if (metadata.inclusion === 'unsupported') return false;
  if (typeof metadata.selected === 'boolean') return metadata.selected;
  return metadata['selected-by-default'] !== false;
}

/**
 * Top-level properties whose `["properties", name]` metadata deselects them. A property with no such entry
 * stays selected: fields Braze adds after discover keep flowing unless the user deselects them.
 */
function deselectedProperties(stream: SingerStream): Set<string> {
  const dropped = new Set<string>();
  for (const m of stream.metadata ?? []) {
    const crumb = m.breadcrumb ?? [];
    if (crumb.length !== 2 || crumb[0] !== 'properties') continue;
    if (propertyIsSelected(m.metadata ?? {})) dropped.delete(crumb[1]);
    else dropped.add(crumb[1]);
  }
  return dropped;
}

function schemaWithout(schema: JsonObject, dropped: ReadonlySet<string>): JsonObject {
  const properties = Object.fromEntries(Object.entries((schema.properties as JsonObject | undefined) ?? {}).filter(([p]) => !dropped.has(p)));
  const pruned: JsonObject = { ...schema, properties };
  if (Array.isArray(schema.required)) {
    const required = schema.required.filter((p) => !dropped.has(p));
    // Draft 4 (which many Singer targets validate with) forbids an empty `required`.
    if (required.length) pruned.required = required;
    else delete pruned.required;
  }
  return pruned;
}

export function allStreams(discovered: AirbyteCatalog): ConfiguredAirbyteCatalog {
  return { streams: discovered.streams.map((stream) => ({ stream, sync_mode: 'incremental', destination_sync_mode: 'append' })) };
}

/** Singer message for an Airbyte message the tap produced; undefined when Singer has no equivalent. */
export function toSingerLine(message: AirbyteMessage, bookmarks: JsonObject): string | undefined {
  if (message.type === 'RECORD') {
    return JSON.stringify({ type: 'RECORD', stream: message.record.stream, record: message.record.data, time_extracted: new Date(message.record.emitted_at).toISOString() });
  }
  if (message.type === 'STATE' && message.state.stream) {
    bookmarks[message.state.stream.stream_descriptor.name] = message.state.stream.stream_state ?? null;
    return JSON.stringify({ type: 'STATE', value: { bookmarks } });
  }
  return undefined;
}

export function schemaLine(stream: AirbyteStream): string {
  return JSON.stringify({ type: 'SCHEMA', stream: stream.name, schema: stream.json_schema, key_properties: keyPropertiesOf(stream).length ? keyPropertiesOf(stream) : ['id'] });
}

/** Singer target input → the Airbyte message the destination understands. */
export function fromSingerMessage(message: JsonObject): AirbyteMessage | undefined {
  if (message.type === 'RECORD') {
    const emitted = typeof message.time_extracted === 'string' ? Date.parse(message.time_extracted) : NaN;
    return { type: 'RECORD', record: { stream: String(message.stream), data: (message.record as JsonObject) ?? {}, emitted_at: Number.isNaN(emitted) ? Date.now() : emitted } };
  }
  if (message.type === 'STATE') return { type: 'STATE', state: { type: 'LEGACY', data: (message.value as JsonObject) ?? {} } };
  return undefined; // SCHEMA, ACTIVATE_VERSION, BATCH: nothing to deliver
}

export function about(info: ConnectorInfo, capabilities: string[]): JsonObject {
  const spec = info.spec().connectionSpecification as JsonObject;
  return {
    name: info.singerName,
    description: info.description,
    version: info.version,
    capabilities,
    settings: spec,
  };
}

export function aboutMarkdown(info: ConnectorInfo, capabilities: string[]): string {
  const spec = info.spec().connectionSpecification as { properties?: Record<string, JsonObject>; required?: string[] };
  const rows = Object.entries(spec.properties ?? {}).map(([name, p]) => {
    const required = spec.required?.includes(name) ? 'yes' : 'no';
    const text = String(p.description ?? p.title ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
    return `| ${name} | ${required} | ${p.default !== undefined ? JSON.stringify(p.default) : ''} | ${text} |`;
  });
  return [
    `# ${info.singerName}`,
    '',
    info.description,
    '',
    `Version: ${info.version}`,
    '',
    '## Capabilities',
    '',
    ...capabilities.map((c) => `* \`${c}\``),
    '',
    '## Settings',
    '',
    '| Setting | Required | Default | Description |',
    '|:--|:--|:--|:--|',
    ...rows,
    '',
  ].join('\n');
}
