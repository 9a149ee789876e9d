import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  devDependencies: Record<string, string>;
  engines: { node: string };
};

describe('the Node.js runtime of npm scripts', () => {
  it('is the pinned `node` dev dependency, the same major as the Lambda runtime (nodejs24.x)', () => {
    // npm puts node_modules/.bin first on the PATH of its scripts, so vitest and its forks run on the
    // registry's `node` package rather than on the machine's own Node.js.
    expect(process.versions.node).toBe(pkg.devDependencies.node);
    expect(process.versions.node.split('.')[0]).toBe('24');
  });

  it('declares that major in engines', () => {
    expect(pkg.engines.node).toBe('>=24');
  });
});
