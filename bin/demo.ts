/**
 * `npm run demo`: two orders end to end on a throw-away local mode, and the e-mails they sent (local/demo.ts).
 * Exits 0 when both are fulfilled and both buyers were written to, else 1 with the reason.
 */
import { consoleMount } from '../console/local-mode';
import { runDemo } from '../local/demo';

process.exit(await runDemo({ mount: consoleMount }));
