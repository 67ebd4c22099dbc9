/** integration_tests/messages.jsonl is what the transcript builder makes of its cohorts (regenerate it from here). */
import fs from 'fs';
import path from 'path';
import { CONFIGURED_CATALOG, transcript } from './support/cohort-transcripts';

export const FIXTURE_COHORTS = [
  { id: 101, name: 'Opened an email in the last 7 days', members: ['local-user-0001', 'local-user-0002', null, 'local-user-0003', 'local-user-0004'] },
  { id: 102, name: 'Purchased twice', members: ['local-user-0002', 'local-user-0005'] },
  { id: 103, name: 'Removed cohort', members: [], reason: 'deselected' as const },
];
const FIXTURES = path.join(__dirname, '..', 'integration_tests');

test('messages.jsonl and configured_catalog.json are current', () => {
  const lines = transcript(FIXTURE_COHORTS, { round: 'fixture', pageSize: 2 }).map((l) => JSON.stringify(l)).join('\n') + '\n';
  if (process.env.REGENERATE_FIXTURES) fs.writeFileSync(path.join(FIXTURES, 'messages.jsonl'), lines);
  expect(fs.readFileSync(path.join(FIXTURES, 'messages.jsonl'), 'utf8')).toBe(lines);
  expect(JSON.parse(fs.readFileSync(path.join(FIXTURES, 'configured_catalog.json'), 'utf8'))).toEqual(CONFIGURED_CATALOG);
});
