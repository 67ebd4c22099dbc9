import { runSource } from '../../connector-kit/runner';
import { BrazeCurrentsSource } from './source';

export function main(argv: string[], mode: 'airbyte' | 'singer'): void {
  runSource(new BrazeCurrentsSource(), argv, mode);
}
