/** CLI entry for bin/destination-mixpanel (Airbyte) and bin/target-mixpanel (Singer). */
import { runDestination } from '../../connector-kit/runner';
import { MixpanelDestination } from './destination';

export function main(argv: string[], mode: 'airbyte' | 'singer'): void {
  runDestination(new MixpanelDestination(), argv, mode);
}
