/** The three streams (DESIGN §10.2), their JSON schemas and primary keys. All are full refresh; the member and snapshot streams resume mid-round. */
import type { AirbyteCatalog, AirbyteStream } from '../../connector-kit/protocol';

export const COHORTS = 'cohorts';
export const COHORT_MEMBERS = 'cohort_members';
export const COHORT_SNAPSHOTS = 'cohort_snapshots';
export const STREAM_NAMES = [COHORTS, COHORT_MEMBERS, COHORT_SNAPSHOTS];

const nullable = (type: string) => ({ type: [type, 'null'] });

const STREAMS: AirbyteStream[] = [
  {
    name: COHORTS,
    json_schema: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      additionalProperties: true,
      required: ['id', 'name'],
      properties: {
        id: { type: 'integer' },
        name: { type: 'string' },
        description: nullable('string'),
        count: nullable('integer'),
        is_visible: { ...nullable('integer'), description: '1 if visible in Mixpanel, 0 if not (as Mixpanel reports it).' },
        created: { ...nullable('string'), description: 'As Mixpanel reports it: "YYYY-MM-DD HH:MM:SS".' },
        project_id: nullable('integer'),
      },
    },
    supported_sync_modes: ['full_refresh'],
    source_defined_primary_key: [['id']],
    is_resumable: false,
  },
  {
    name: COHORT_MEMBERS,
    json_schema: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      additionalProperties: true,
      required: ['cohort_id', 'cohort_name', 'distinct_id', 'user_id', 'snapshot_id'],
      properties: {
        cohort_id: { type: 'integer' },
        cohort_name: { type: 'string' },
        distinct_id: { type: 'string' },
        user_id: { ...nullable('string'), description: 'The value of user_id_property (the Braze external id); null when the profile lacks it.' },
        properties: { type: 'object', additionalProperties: true, properties: {}, description: 'The profile properties named in output_properties that the profile has.' },
        snapshot_id: { type: 'string', description: 'One value per cohort per round; the cohort_snapshots record with this id marks the snapshot complete.' },
      },
    },
    supported_sync_modes: ['full_refresh'],
    source_defined_primary_key: [['cohort_id'], ['distinct_id']],
    is_resumable: true,
  },
  {
    name: COHORT_SNAPSHOTS,
    json_schema: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      additionalProperties: true,
      required: ['cohort_id', 'cohort_name', 'snapshot_id', 'member_count', 'taken_at'],
      properties: {
        cohort_id: { type: 'integer' },
        cohort_name: { type: 'string' },
        snapshot_id: { type: 'string' },
        member_count: { type: 'integer', description: 'Members in the whole snapshot (each distinct id once), including pages read before a resume.' },
        taken_at: { type: 'string', format: 'date-time', description: 'When the snapshot\'s first page was requested.' },
        reason: { type: ['string', 'null'], enum: ['deleted', 'deselected', null], description: 'Set on an empty snapshot for a cohort of the previous round that is gone from Mixpanel (deleted) or no longer selected (deselected).' },
        members_without_user_id: { type: 'integer', description: 'Members emitted with user_id null.' },
        duplicates_skipped: { type: 'integer', description: 'Repeated distinct ids within the snapshot, emitted once.' },
      },
    },
    supported_sync_modes: ['full_refresh'],
    source_defined_primary_key: [['cohort_id'], ['snapshot_id']],
    is_resumable: true,
  },
];

export function cohortCatalog(): AirbyteCatalog {
  return { streams: structuredClone(STREAMS) };
}
