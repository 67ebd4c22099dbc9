/** The kit's privacy helpers (value-free record descriptions) and log levels (log_level setting, LOG_LEVEL). */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { levelShown, logLevelOf } from '../logger';
import { describeRecord, recordIdOf, safeErrorMessage, safeStack, sampleOf, withoutQuotedValues, withoutValuesOf } from '../privacy';
import { runNodeScript, writeTempJson } from '../../test-support/run-cli';

describe('record descriptions name stream, id, reason and fields, never values', () => {
  it('describes a Currents record and a mapped event by their ids', () => {
    const record = { id: 'c55a17b8-060d-4eaf-a5a5-cf4eb208c916', email_address: 'ann@example.com', external_user_id: 'u-1' };
    const text = describeRecord(sampleOf(record, 'users_messages_email_open', 'anonymous user', ['external_user_id']));
    expect(text).toBe('[users_messages_email_open] id c55a17b8-060d-4eaf-a5a5-cf4eb208c916: anonymous user (field: external_user_id)');
    expect(recordIdOf({ event: 'x', properties: { $insert_id: 'abc-1', distinct_id: 'ann@example.com' } })).toBe('abc-1');
  });

  it('leaves out an "id" that is not a plain id (it could hold anything)', () => {
    expect(recordIdOf({ id: 'ann@example.com' })).toBeUndefined();
    expect(recordIdOf({ id: 'a b' })).toBeUndefined();
    expect(describeRecord(sampleOf({ id: 'Ann Smith' }, 's', 'why'))).toBe('[s] id not shown: why');
    expect(sampleOf('a raw line that is not an object')).toEqual({});
  });

  it('strips quoted values from outside messages but keeps quoted field paths', () => {
    expect(withoutQuotedValues(`'properties.distinct_id' is invalid: 'ann@example.com' is not a valid distinct_id`))
      .toBe(`'properties.distinct_id' is invalid: '…' is not a valid distinct_id`);
    expect(withoutQuotedValues(`Unexpected token 'a', "ann@exam"... is not valid JSON`)).toBe(`Unexpected token '…', "…"... is not valid JSON`);
    expect(withoutQuotedValues(`'$insert_id' is invalid`)).toBe(`'$insert_id' is invalid`);
  });

  it('masks a record\'s own values when a message repeats them unquoted', () => {
    expect(withoutValuesOf({ properties: { distinct_id: 'ann@example.com', n: 7 } }, 'bad id ann@example.com (HTTP 400)')).toBe('bad id … (HTTP 400)');
  });

  it('makes unexpected errors safe, stack frames included', () => {
    let err: Error;
    try {
      JSON.parse('{"email": "ann@example.com"');
      throw new Error('unreachable');
    } catch (e) {
      err = e as Error;
    }
    expect(safeErrorMessage(err)).not.toContain('ann@example.com');
    expect(safeStack(err)).not.toContain('ann@example.com');
    expect(safeStack(err)).toContain('privacy-and-levels.test');
  });
});

describe('log levels', () => {
  it('LOG_LEVEL and --debug win over the config setting, which wins over the default (info)', () => {
    expect(logLevelOf(undefined, {})).toBe('info');
    expect(logLevelOf('debug', {})).toBe('debug');
    expect(logLevelOf('debug', { LOG_LEVEL: 'warn' })).toBe('warn');
    expect(logLevelOf('warn', { LOG_LEVEL: 'DEBUG' })).toBe('debug');
    expect(logLevelOf('error', {}, true)).toBe('debug');
    expect(logLevelOf('loud', { LOG_LEVEL: 'verbose' })).toBe('info');
    expect(levelShown('debug', 'info')).toBe(false);
    expect(levelShown('warn', 'info')).toBe(true);
  });

  it('the runner honours log_level from the config, and LOG_LEVEL over it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-levels-'));
    const config = (level: string) => writeTempJson(`config-${level}.json`, { api_key: 'good-key-123', auth: { method: 'none' }, records: 1, log_level: level }, dir);
    const tap = (file: string, env: NodeJS.ProcessEnv = {}) =>
      runNodeScript('dist/connector-kit/test/fixtures/counting-source.js', ['--config', file], { env: { KIT_MODE: 'singer', LOG_LEVEL: '', ...env } });
    expect((await tap(config('debug'))).stderr).toContain('DEBUG Stream alpha: STARTED');
    expect((await tap(config('info'))).stderr).not.toContain('DEBUG');
    expect((await tap(config('debug'), { LOG_LEVEL: 'info' })).stderr).not.toContain('DEBUG');
    expect((await tap(config('info'), { LOG_LEVEL: 'debug' })).stderr).toContain('DEBUG Stream alpha: STARTED');
  });
});
