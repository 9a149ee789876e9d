import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: { CDK_DISABLE_CLI_TELEMETRY: 'true', AWS_REGION: 'eu-west-2', POWERTOOLS_DEV: 'false' },
  },
});
