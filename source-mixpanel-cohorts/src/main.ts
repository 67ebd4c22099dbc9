import { runSource } from '../../connector-kit/runner';
import { MixpanelCohortsSource } from './source';

export function main(argv: string[], mode: 'airbyte' | 'singer'): void {
  runSource(new MixpanelCohortsSource(), argv, mode);
}
