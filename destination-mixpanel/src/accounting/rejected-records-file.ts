/**
 * The `rejected_records_file` option: every rejected record, whole, with its reason, as NDJSON lines
 * `{"stream", "reason", "detail", "record"}` (the same shape as the sync runner's rejected_file). Records
 * are personal data, so they go only here, to a path the user chose, never to logs (DESIGN §7). The file is
 * appended to, so re-runs and retries keep earlier rejections.
 */
import fs from 'fs';
import path from 'path';
import { configError } from '../../../connector-kit/errors';
import type { RejectedRecord } from '../write-pipeline';

export class RejectedRecordsFile {
  private readonly out: fs.WriteStream;
  private failure: Error | undefined;

  constructor(readonly file: string) {
    try {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      fs.closeSync(fs.openSync(file, 'a')); // fail now, with a config error, if the path cannot be written
    } catch (err) {
      throw configError(`rejected_records_file "${file}" cannot be written (${(err as NodeJS.ErrnoException).code ?? 'error'}): choose a writable path or remove the setting.`);
    }
    this.out = fs.createWriteStream(file, { flags: 'a' });
    this.out.on('error', (err) => (this.failure = err));
  }

  readonly write = (rejected: RejectedRecord): void => {
    this.out.write(JSON.stringify(rejected) + '\n');
  };

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.out.end(resolve));
    if (this.failure) throw configError(`Writing rejected_records_file "${this.file}" failed (${(this.failure as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
}
