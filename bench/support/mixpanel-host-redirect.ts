/**
 * Preload (`node -r <this file>`) that points a tool hard-wired to https://*.mixpanel.com at a local receiver:
 * DNS answers 127.0.0.1 for every *.mixpanel.com name, and when MIXPANEL_REDIRECT_PORT is set, TLS connections
 * to those names go to that port instead of 443 (so the receiver needs no privileged port). Nothing else changes:
 * certificate checks stay on (the child trusts the receiver's certificate through NODE_EXTRA_CA_CERTS).
 */
import dns = require('dns');
import tls = require('tls');

const LOOPBACK = '127.0.0.1';
const redirectPort = process.env.MIXPANEL_REDIRECT_PORT ? Number(process.env.MIXPANEL_REDIRECT_PORT) : undefined;

function isMixpanelHost(host: unknown): boolean {
  return typeof host === 'string' && (host === 'mixpanel.com' || host.endsWith('.mixpanel.com'));
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

const originalLookup = dns.lookup;
function redirectedLookup(hostname: string, options: unknown, callback?: LookupCallback): void {
  const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
  if (!isMixpanelHost(hostname)) {
    (originalLookup as (...args: unknown[]) => void)(hostname, ...(typeof options === 'function' ? [] : [options]), cb);
    return;
  }
  const all = typeof options === 'object' && options !== null && (options as dns.LookupAllOptions).all;
  process.nextTick(() => (all ? cb(null, [{ address: LOOPBACK, family: 4 }]) : cb(null, LOOPBACK, 4)));
}
(dns as { lookup: unknown }).lookup = redirectedLookup;

const originalPromisesLookup = dns.promises.lookup;
(dns.promises as { lookup: unknown }).lookup = async (hostname: string, options?: dns.LookupOptions) => {
  if (!isMixpanelHost(hostname)) return originalPromisesLookup(hostname, options ?? {});
  return options?.all ? [{ address: LOOPBACK, family: 4 }] : { address: LOOPBACK, family: 4 };
};

if (redirectPort !== undefined) {
  const originalConnect = tls.connect;
  (tls as { connect: unknown }).connect = function connect(...args: unknown[]) {
    const first = args[0];
    if (first !== null && typeof first === 'object' && isMixpanelHost((first as tls.ConnectionOptions).servername ?? (first as tls.ConnectionOptions).host)) {
      args[0] = { ...(first as tls.ConnectionOptions), port: redirectPort };
    } else if (typeof first === 'number' && isMixpanelHost(args[1])) {
      args[0] = redirectPort;
    }
    return (originalConnect as (...a: unknown[]) => tls.TLSSocket).apply(tls, args);
  };
}
