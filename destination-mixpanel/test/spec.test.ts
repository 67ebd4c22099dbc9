/** The spec follows Airbyte's rules (reference/airbyte_singer.md §1.7) so the UI and acceptance tests accept it. */
import spec from '../spec.json';

const conn = spec.connectionSpecification as Record<string, any>;
const SECRET_NAMES = ['client_token', 'access_token', 'api_token', 'token', 'secret', 'client_secret', 'password', 'key', 'service_account_info', 'certificate', 'jwt', 'app_id', 'appid', 'refresh_token'];

function walk(node: unknown, visit: (name: string, schema: Record<string, any>, path: string) => void, path = ''): void {
  if (!node || typeof node !== 'object') return;
  const n = node as Record<string, any>;
  for (const [name, child] of Object.entries(n.properties ?? {})) {
    visit(name, child as Record<string, any>, `${path}.${name}`);
    walk(child, visit, `${path}.${name}`);
  }
  (n.oneOf ?? []).forEach((o: unknown, i: number) => walk(o, visit, `${path}[${i}]`));
}

describe('destination spec', () => {
  test('append only; DESIGN §5.1 keys present', () => {
    expect(spec.supported_destination_sync_modes).toEqual(['append']);
    for (const key of ['credentials', 'project_token', 'region', 'api_host', 'distinct_id_fallback', 'include_unmapped_types', 'event_name_field', 'distinct_id_field', 'time_field', 'insert_id_field', 'batch_size', 'max_batch_bytes', 'concurrency', 'request_timeout_seconds', 'max_retry_seconds', 'gzip_level']) {
      expect(conn.properties).toHaveProperty(key);
    }
    expect(conn.properties.region.enum).toEqual(['US', 'EU', 'IN']);
    expect(conn.properties.batch_size.maximum).toBe(2000);
  });

  test('credentials oneOf uses a const auth_type discriminator per option', () => {
    const options = conn.properties.credentials.oneOf;
    expect(options.map((o: any) => o.properties.auth_type.const)).toEqual(['service_account', 'api_secret', 'project_token']);
    for (const o of options) {
      expect(o.type).toBe('object');
      expect(o.required).toContain('auth_type');
    }
    expect(options[0].description).toMatch(/Recommended/);
  });

  test('every secret-looking property is airbyte_secret, and secrets only', () => {
    walk(conn, (name, schema, path) => {
      const looksSecret = SECRET_NAMES.includes(name) || name.endsWith('_secret') || name.endsWith('_token');
      if (schema.const !== undefined || schema.type === 'object') return;
      expect([path, schema.airbyte_secret === true]).toEqual([path, looksSecret]);
    });
  });

  test('no forbidden keywords; orders are unique per object', () => {
    const text = JSON.stringify(spec);
    for (const k of ['anyOf', 'allOf', '"not"', 'patternProperties', 'prefixItems', '"if"', 'dependentSchemas', 'dependentRequired']) expect(text).not.toContain(k);
    const orders = Object.values(conn.properties).map((p: any) => p.order);
    expect(new Set(orders).size).toBe(orders.length);
  });
});
