/**
 * Reads the service-account key JSON a user pastes (Google Cloud console → IAM → Service accounts → Keys → JSON).
 * Only plain service-account keys are accepted: other credential JSON kinds (external_account, impersonation)
 * make the auth library call URLs named inside the JSON, which a connector config must not be able to do.
 * Messages name the setting and the missing field, never the JSON's content.
 */
import { configError } from '../../../connector-kit/errors';

export interface ServiceAccountKey {
  clientEmail: string;
  privateKey: string;
  privateKeyId?: string;
  projectId?: string;
}

const SETTING = 'storage.service_account_json';

export function parseServiceAccountJson(value: unknown): ServiceAccountKey {
  let json: Record<string, unknown>;
  if (value && typeof value === 'object') {
    json = value as Record<string, unknown>;
  } else {
    try {
      json = JSON.parse(String(value ?? ''));
    } catch {
      // JSON.parse's message quotes the text, which holds the private key: say only what is wrong.
      throw configError(`${SETTING} is not valid JSON; paste the whole key file downloaded from Google Cloud (IAM → Service accounts → Keys → Add key → JSON).`);
    }
    if (!json || typeof json !== 'object') throw configError(`${SETTING} must be a JSON object (the service-account key file).`);
  }
  if (json.type !== 'service_account') {
    throw configError(`${SETTING} must be a service-account key (its "type" is ${JSON.stringify(typeof json.type === 'string' ? json.type : null)}, expected "service_account").`);
  }
  const missing = ['client_email', 'private_key'].filter((k) => typeof json[k] !== 'string' || !(json[k] as string).trim());
  if (missing.length) throw configError(`${SETTING} lacks ${missing.join(' and ')}; paste the complete key file.`);
  const privateKey = (json.private_key as string).replace(/\\n/g, '\n');
  if (!privateKey.includes('PRIVATE KEY-----')) throw configError(`${SETTING}: private_key is not a PEM private key; paste the complete key file.`);
  return {
    clientEmail: json.client_email as string,
    privateKey,
    privateKeyId: typeof json.private_key_id === 'string' ? json.private_key_id : undefined,
    projectId: typeof json.project_id === 'string' ? json.project_id : undefined,
  };
}
