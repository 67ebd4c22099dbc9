/** Command-line parsing for both protocols: Airbyte verbs (`read --config f`) and Singer flags (`--config f --discover`). */
import { configError } from './errors';

export type Verb = 'spec' | 'check' | 'discover' | 'read' | 'write';
const VERBS: Verb[] = ['spec', 'check', 'discover', 'read', 'write'];
const VALUE_FLAGS = ['config', 'catalog', 'state', 'input', 'format', 'properties'];
const BOOLEAN_FLAGS = ['discover', 'about', 'test', 'debug', 'help', 'version'];

export interface ParsedArgs {
  protocol: 'airbyte' | 'singer';
  verb?: Verb;
  flags: Record<string, string | true>;
}

export function parseArgs(argv: string[], defaultProtocol: 'airbyte' | 'singer'): ParsedArgs {
  const flags: Record<string, string | true> = {};
  let verb: Verb | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      if (verb || !VERBS.includes(arg as Verb)) {
        throw configError(`Unknown command "${arg}". Commands: ${VERBS.join(', ')}; Singer flags: --config, --state, --catalog, --discover, --about, --test.`);
      }
      verb = arg as Verb;
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (VALUE_FLAGS.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith('--')) throw configError(`--${name} needs a value (a file path${name === 'format' ? ' or json|markdown' : ''}).`);
      flags[name] = value;
    } else if (BOOLEAN_FLAGS.includes(name)) {
      flags[name] = inline ?? true;
    } else {
      throw configError(`Unknown option --${name}.`);
    }
  }
  return { protocol: verb ? 'airbyte' : defaultProtocol, verb, flags };
}

export function requireFlag(args: ParsedArgs, name: string, why: string): string {
  const value = args.flags[name];
  if (typeof value !== 'string') throw configError(`--${name} FILE is required ${why}.`);
  return value;
}
