/** Reads a connector's acceptance-test-config.yml so the suite runs exactly the scenarios it declares. */
import fs from 'fs';
import path from 'path';
import yaml from 'js-yaml';
import { REPO_ROOT } from './fixtures';

export interface AcceptanceTest {
  config_path?: string;
  status?: 'succeed' | 'failed' | 'exception';
  spec_path?: string;
  configured_catalog_path?: string;
  expect_records?: { path: string; exact_order?: boolean; extra_fields?: boolean; extra_records?: boolean };
  future_state?: { future_state_path: string };
  /** full_refresh: per stream, fields that may differ between two reads (CAT's ignored_fields). */
  ignored_fields?: Record<string, Array<{ name: string; bypass_reason?: string }>>;
}

export interface AcceptanceConfig {
  connector_image: string;
  test_strictness_level?: string;
  acceptance_tests: Record<string, { tests?: AcceptanceTest[]; bypass_reason?: string }>;
}

export function loadAcceptanceConfig(connector: string): { config: AcceptanceConfig; dir: string; resolve: (p: string) => string } {
  const dir = path.join(REPO_ROOT, connector);
  const config = yaml.load(fs.readFileSync(path.join(dir, 'acceptance-test-config.yml'), 'utf8')) as AcceptanceConfig;
  return { config, dir, resolve: (p: string) => path.join(dir, p) };
}

export function testsOf(config: AcceptanceConfig, suite: string): AcceptanceTest[] {
  const entry = config.acceptance_tests[suite];
  if (!entry) throw new Error(`acceptance-test-config.yml has no "${suite}" suite`);
  if (entry.bypass_reason) return [];
  if (!entry.tests?.length) throw new Error(`acceptance-test-config.yml suite "${suite}" has neither tests nor bypass_reason`);
  return entry.tests;
}
