/**
 * Moved to test/shared/workflow/fakes.ts (tests mirror the source). Kept only for test/unit/console, whose imports the
 * local-mode branch owns: delete once they import the new path.
 */
export * from '../../shared/workflow/fakes';
