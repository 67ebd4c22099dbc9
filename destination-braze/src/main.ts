/** CLI entry for bin/destination-braze (Airbyte) and bin/target-braze (Singer). */
import { runDestination } from '../../connector-kit/runner';
import { BrazeDestination } from './destination';

export function main(argv: string[], mode: 'airbyte' | 'singer'): void {
  runDestination(new BrazeDestination(), argv, mode);
}
