import { interpretBadRequest, errorMessageOf } from '../src/delivery/import-response';

const ids = ['id-0', 'id-1', 'id-2', 'id-3'];
const at = (i: number) => ids[i];
const body = (o: unknown) => JSON.stringify(o);

describe('interpretBadRequest', () => {
  test('matches failed_records by index and keeps Mixpanel’s message', () => {
    const v = interpretBadRequest(
      body({ code: 400, num_records_imported: 2, failed_records: [
        { index: 1, insert_id: 'id-1', field: 'properties.time', message: "'properties.time' is invalid: must be specified as seconds since epoch" },
        { index: 3, $insert_id: 'id-3', field: '$insert_id', message: "'$insert_id' is invalid" },
      ] }),
      4, at);
    expect(v.rejections.map((r) => r.index)).toEqual([1, 3]);
    expect(v.rejections[0].message).toContain('seconds since epoch');
  });

  test('falls back to insert_id or $insert_id when an entry has no index', () => {
    const v = interpretBadRequest(body({ num_records_imported: 2, failed_records: [{ insert_id: 'id-2', message: 'bad' }, { $insert_id: 'id-0', message: 'bad' }] }), 4, at);
    expect(v.rejections.map((r) => r.index)).toEqual([0, 2]);
  });

  test('plain-string entries with nothing imported reject the whole batch', () => {
    const v = interpretBadRequest(body({ num_records_imported: 0, failed_records: ['identity events are not allowed'] }), 4, at);
    expect(v.rejections).toHaveLength(4);
    expect(v.rejections[2].message).toBe('HTTP 400: identity events are not allowed');
  });

  test('plain strings that cannot be attributed while some were imported are reported, not guessed', () => {
    const v = interpretBadRequest(body({ num_records_imported: 3, failed_records: ['something failed'] }), 4, at);
    expect(v.rejections).toEqual([]);
    expect(v.note).toMatch(/1 failed record/);
  });

  test('400 without failed_records rejects every record with the error text', () => {
    const v = interpretBadRequest(body({ code: 400, error: 'request body is not valid gzip data' }), 3, at);
    expect(v.rejections).toHaveLength(3);
    expect(v.rejections[0].message).toBe('HTTP 400: request body is not valid gzip data');
    expect(interpretBadRequest('<html>bad</html>', 1, at).rejections[0].message).toBe('HTTP 400: <html>bad</html>');
  });

  test('errorMessageOf is short and uses the JSON error when there is one', () => {
    expect(errorMessageOf(body({ error: 'Invalid credentials' }), 401)).toBe('HTTP 401: Invalid credentials');
    expect(errorMessageOf('x'.repeat(1000), 502).length).toBeLessThan(320);
    expect(errorMessageOf('', 503)).toBe('HTTP 503');
  });
});
