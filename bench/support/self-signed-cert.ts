/**
 * A throw-away self-signed certificate for the benchmark's TLS receiver, made with the system `openssl`
 * (no extra npm dependency). It doubles as its own CA, so a child process can trust it through
 * NODE_EXTRA_CA_CERTS instead of switching TLS verification off.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export interface SelfSignedCert { keyPath: string; certPath: string; key: Buffer; cert: Buffer }

export function makeSelfSignedCert(dir: string, dnsNames: string[]): SelfSignedCert {
  const keyPath = path.join(dir, 'receiver-key.pem');
  const certPath = path.join(dir, 'receiver-cert.pem');
  const san = dnsNames.map((name) => `DNS:${name}`).join(',');
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${dnsNames[0]}`,
      '-addext', `subjectAltName=${san}`, '-keyout', keyPath, '-out', certPath,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`could not create a self-signed certificate with openssl (is it installed?): ${stderr || (err as Error).message}`);
  }
  return { keyPath, certPath, key: fs.readFileSync(keyPath), cert: fs.readFileSync(certPath) };
}
