/**
 * A small Dockerfile reader: enough of the syntax we use (FROM … AS, WORKDIR, ENV, LABEL, COPY [--from], RUN,
 * ENTRYPOINT, USER) to resolve what each build target ends up with, so tests can check and rehearse it
 * without a Docker engine.
 */
export interface Instruction { keyword: string; args: string; line: number }

export interface CopyStep { from?: string; sources: string[]; dest: string; workdir: string }

export interface Stage {
  name: string;
  base: string;
  /** Effective values, inherited from a parent stage (`FROM parent`) and then overridden. */
  workdir: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  entrypoint?: string[];
  /** This stage's own steps plus its parent stages' (in build order). */
  copies: CopyStep[];
  runs: string[];
}

/** Logical lines: comments dropped, `\` continuations joined. */
export function parseInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let buffer = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!buffer && (line === '' || line.startsWith('#'))) return;
    if (!buffer) start = i + 1;
    if (line.endsWith('\\')) {
      buffer += line.slice(0, -1) + ' ';
      return;
    }
    buffer += line;
    const match = /^(\w+)\s+([\s\S]*)$/.exec(buffer);
    if (!match) throw new Error(`Dockerfile line ${start}: cannot parse "${buffer}"`);
    out.push({ keyword: match[1].toUpperCase(), args: match[2].trim(), line: start });
    buffer = '';
  });
  return out;
}

/** Splits `a=b c="d e"` pairs (ENV and LABEL key=value form). */
export function parseKeyValues(args: string): Record<string, string> {
  const result: Record<string, string> = {};
  const re = /([^\s=]+)=("(?:[^"\\]|\\.)*"|\S+)/g;
  let m: RegExpExecArray | null;
  let consumed = '';
  while ((m = re.exec(args))) {
    result[m[1]] = m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2];
    consumed += m[0];
  }
  if (!consumed) throw new Error(`expected key=value pairs, got "${args}"`);
  return result;
}

function parseExecForm(args: string, what: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(args);
  } catch {
    throw new Error(`${what} must use the exec form (a JSON array), got: ${args}`);
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new Error(`${what} must be a JSON array of strings`);
  return value as string[];
}

export function resolveStages(text: string): Map<string, Stage> {
  const stages = new Map<string, Stage>();
  let current: Stage | undefined;
  for (const ins of parseInstructions(text)) {
    if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`Dockerfile line ${ins.line}: cannot parse FROM ${ins.args}`);
      const parent = stages.get(m[1]);
      current = {
        name: m[2] ?? `stage-${stages.size}`,
        base: m[1],
        workdir: parent?.workdir ?? '/',
        env: { ...parent?.env },
        labels: { ...parent?.labels },
        entrypoint: parent?.entrypoint,
        copies: [...(parent?.copies ?? [])],
        runs: [...(parent?.runs ?? [])],
      };
      stages.set(current.name, current);
      continue;
    }
    if (!current) throw new Error(`Dockerfile line ${ins.line}: ${ins.keyword} before FROM`);
    switch (ins.keyword) {
      case 'WORKDIR':
        current.workdir = ins.args.startsWith('/') ? ins.args : `${current.workdir.replace(/\/$/, '')}/${ins.args}`;
        break;
      case 'ENV':
        Object.assign(current.env, parseKeyValues(ins.args));
        break;
      case 'LABEL':
        Object.assign(current.labels, parseKeyValues(ins.args));
        break;
      case 'ENTRYPOINT':
        current.entrypoint = parseExecForm(ins.args, 'ENTRYPOINT');
        break;
      case 'RUN':
        current.runs.push(ins.args);
        break;
      case 'COPY': {
        const parts = ins.args.split(/\s+/);
        const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
        const paths = parts.filter((p) => !p.startsWith('--'));
        if (paths.length < 2) throw new Error(`Dockerfile line ${ins.line}: COPY needs a source and a destination`);
        current.copies.push({ from, sources: paths.slice(0, -1), dest: paths[paths.length - 1], workdir: current.workdir });
        break;
      }
      default:
        break; // USER, EXPOSE, …: nothing the checks need
    }
  }
  return stages;
}
