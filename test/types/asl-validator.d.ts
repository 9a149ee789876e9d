/** asl-validator 4 ships no types: the one function the infra tests call (dist/src/validator.js). */
declare module 'asl-validator' {
  interface AslValidatorOptions {
    /** Check the JSONPath / JSONata expressions (`InputPath`, `ResultPath`, …). @default true */
    readonly checkPaths?: boolean;
    /** Check that every Task's Resource is an ARN. @default true */
    readonly checkArn?: boolean;
  }
  interface AslValidatorResult {
    readonly isValid: boolean;
    readonly errors: ReadonlyArray<{ readonly message?: string; readonly 'Error code'?: string }>;
    errorsText(separator?: string): string;
  }
  /** Validates an Amazon States Language definition (it adds a default `QueryLanguage` to each state in place). */
  function aslValidator(definition: unknown, options?: AslValidatorOptions): AslValidatorResult;
  export = aslValidator;
}
